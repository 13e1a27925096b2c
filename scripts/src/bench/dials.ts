import type { DialInput } from '@outboundiq/webhook-producer';

/** Company slugs of a run: `bench-c0`, `bench-c1`, ... */
export function companyNames(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `bench-c${i}`);
}

/**
 * A realistic dial whose callId carries its publish time: `p<ms since epoch>.<n>`. The receiver
 * reads it back to measure latency from publish to receipt without a clock of its own.
 */
export function benchDial(companySlug: string, n: number, publishedAt: number): DialInput {
  return {
    companySlug,
    callId: `p${publishedAt}.${n}`,
    callDirection: 'outbound',
    timestamp: new Date(publishedAt).toISOString(),
    ani: '5551234567',
    phone: `555${String(n % 10_000_000).padStart(7, '0')}`,
    campaign: 'Q2 Outbound Push',
    campaignInternalId: 'abc-123',
    agent: 'Jane Doe',
    disposition: 'Sale',
    dispositionId: '42',
    contact: true,
    success: n % 2 === 0,
    isSystemDispo: false,
    totalDialAttempts: n % 7,
  };
}

/** The same dials, spread round-robin over `companies`, stamped `publishedAt`. */
export function dialBatch(companies: readonly string[], start: number, count: number, publishedAt: number): DialInput[] {
  const out: DialInput[] = new Array(count);
  for (let i = 0; i < count; i++) out[i] = benchDial(companies[(start + i) % companies.length]!, start + i, publishedAt);
  return out;
}

/** The body a sender would POST for these dials (what the HTTP-ceiling section sends). */
export function sampleBody(dials: number): string {
  const now = Date.now();
  const list = Array.from({ length: dials }, (_, i) => ({ ...benchDial('bench-c0', i, now), timestamp: new Date(now).toISOString() }));
  return JSON.stringify({ event: 'dial.batch', deliveryId: '6f1c1b6e-8a0e-4c53-9d4e-0a4f5f7f2b11', deliveredAt: new Date(now).toISOString(), dials: list });
}

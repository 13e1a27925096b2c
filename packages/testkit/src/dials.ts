import type { DialEvent } from '@outboundiq/core';

/**
 * A valid, already-normalised dial for `companySlug`, varied by `n` (callId `C<n>`, phone, success,
 * timestamp), with `over` laid on top. What tests, the fault suite and the benchmarks publish.
 */
export function sampleDial(companySlug: string, n = 0, over: Partial<DialEvent> = {}): DialEvent {
  return {
    companySlug,
    callId: `C${n}`,
    callDirection: 'outbound',
    timestamp: new Date(Date.UTC(2026, 3, 10, 18, 32, 15) + n * 1000).toISOString(),
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
    totalDialAttempts: n,
    ...over,
  };
}

import { buildPayloadBody, ensureLayout, type Keys, type RedisClient } from '@outboundiq/core';
import { sampleDial } from '@outboundiq/testkit';
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
  return sampleDial(companySlug, n, { callId: `p${publishedAt}.${n}`, timestamp: new Date(publishedAt).toISOString(), totalDialAttempts: n % 7 });
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
  return buildPayloadBody('6f1c1b6e-8a0e-4c53-9d4e-0a4f5f7f2b11', new Date(now), JSON.stringify(list));
}

/**
 * Makes `companies` count as having an enabled webhook without creating webhooks (the producer
 * benches need no sender): the layout stored, then each company in its shard's enabled set.
 */
export async function markEnabled(redis: RedisClient, keys: Keys, companies: readonly string[]): Promise<void> {
  await ensureLayout(redis, keys);
  const byShard = new Map<number, string[]>();
  for (const c of companies) byShard.set(keys.shardOf(c), [...(byShard.get(keys.shardOf(c)) ?? []), c]);
  for (const [shard, members] of byShard) await redis.sadd(keys.shard(shard).enabledCompanies(), ...members);
}

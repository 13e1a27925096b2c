import { createKeys } from '@outboundiq/core';
import { createDialProducer } from '@outboundiq/webhook-producer';
import type { Redis } from 'ioredis';
import { companyNames, dialBatch, markEnabled } from './dials.js';
import { inParallel } from './producer-bench.js';
import { round } from './procs.js';

export interface MemoryRow {
  layout: string;
  pendingDials: number;
  bytesPerDial: number;
  usedMemoryDeltaMiB: number;
}

async function usedMemory(redis: Redis): Promise<number> {
  return Number(/^used_memory:(\d+)/m.exec(await redis.info('memory'))?.[1]);
}

/** Section 6a: Redis memory per pending dial (in streams, before any batcher reads them). */
export async function benchRedisMemory(redis: Redis, redisUrl: string, dials: number): Promise<MemoryRow[]> {
  const prefix = 'bench-memory';
  const keys = createKeys(prefix);
  const producer = createDialProducer({ redisUrl, keyPrefix: prefix });
  const rows: MemoryRow[] = [];
  const layouts: [string, number, (batch: ReturnType<typeof dialBatch>) => Promise<unknown>][] = [
    ['publishMany, 1 company (entries of 100 dials)', 1, (batch) => producer.publishMany(batch)],
    ['publish, 1,000 companies (an entry per dial)', 1_000, (batch) => Promise.all(batch.map((d) => producer.publish(d)))],
  ];
  for (const [layout, companyCount, publish] of layouts) {
    await redis.flushdb();
    const companies = companyNames(companyCount);
    await markEnabled(redis, keys, companies);
    const before = await usedMemory(redis);
    await inParallel(Math.ceil(dials / 100), 4, (i) => publish(dialBatch(companies, i * 100, Math.min(100, dials - i * 100), Date.now())));
    const delta = (await usedMemory(redis)) - before;
    rows.push({ layout, pendingDials: dials, bytesPerDial: round(delta / dials), usedMemoryDeltaMiB: round(delta / 1048576, 1) });
  }
  await producer.close();
  await redis.flushdb();
  return rows;
}

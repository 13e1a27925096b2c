import { createKeys, dialInputSchema } from '@outboundiq/core';
import { createDialProducer, type DialInput } from '@outboundiq/webhook-producer';
import type { Redis } from 'ioredis';
import { companyNames, dialBatch, markEnabled } from './dials.js';
import { cpuMeter, round, usPer } from './procs.js';

export interface ProducerRow {
  method: string;
  companies: number;
  dials: number;
  seconds: number;
  dialsPerSecond: number;
  /** Share of one core used by this process and by Redis while it ran. */
  cpu: Record<string, number>;
  /** CPU microseconds per dial, this process and Redis. */
  cpuUsPerDial: Record<string, number>;
}

export interface ProducerSizes {
  dials: number;
  manyCompanies: number;
  /** publish() calls in flight at once. */
  publishConcurrency: number;
  /** publishMany() calls (of 100 dials) in flight at once. */
  manyConcurrency: number;
}

/** Runs `count` tasks with at most `concurrency` in flight. */
export async function inParallel(count: number, concurrency: number, task: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
}

/**
 * Section 1: what one producer process publishes per second, against the limit measured here and
 * now: the same dials, already serialised, each XADDed on its own, pipelined, from this process.
 */
export async function benchProducer(redis: Redis, redisUrl: string, sizes: ProducerSizes): Promise<ProducerRow[]> {
  const prefix = 'bench-producer';
  const keys = createKeys(prefix);
  const rows: ProducerRow[] = [];
  const producer = createDialProducer({ redisUrl, keyPrefix: prefix });

  const measure = async <T = DialInput[]>(method: string, companies: string[], run: (input: T) => Promise<void>, prepare?: (dials: DialInput[]) => T) => {
    await redis.flushdb();
    await markEnabled(redis, keys, companies);
    const dials = dialBatch(companies, 0, sizes.dials, Date.now());
    const input = prepare ? prepare(dials) : (dials as T);
    const meter = cpuMeter({ bench: process.pid }, redis);
    const started = performance.now();
    await run(input);
    const seconds = (performance.now() - started) / 1000;
    const cpu = await meter();
    rows.push({
      method, companies: companies.length, dials: dials.length, seconds: round(seconds, 3), dialsPerSecond: round(dials.length / seconds),
      cpu: cpu.share, cpuUsPerDial: usPer(cpu, dials.length),
    });
  };

  const one = companyNames(1);
  const many = companyNames(sizes.manyCompanies);
  for (const companies of [one, many]) {
    await measure('publish', companies, (dials) => inParallel(dials.length, sizes.publishConcurrency, (i) => producer.publish(dials[i]!)));
    await measure('publishMany x100', companies, (dials) =>
      inParallel(Math.ceil(dials.length / 100), sizes.manyConcurrency, (i) => producer.publishMany(dials.slice(i * 100, i * 100 + 100))),
    );
    // Serialised before the clock starts: the limit is what Redis and the client can take.
    const serialise = (dials: DialInput[]) =>
      dials.map((d) => {
        const dial = dialInputSchema.parse(d);
        return { key: keys.dials(dial.companySlug), json: JSON.stringify([dial]) };
      });
    await measure('raw XADD per dial (limit)', companies, async (serialised) => {
      const at = String(Date.now());
      await inParallel(Math.ceil(serialised.length / 1000), 4, async (i) => {
        const pipe = redis.pipeline();
        for (const s of serialised.slice(i * 1000, i * 1000 + 1000)) pipe.xadd(s.key, '*', 'd', s.json, 't', at);
        await pipe.exec();
      });
    }, serialise);
  }
  await producer.close();
  await redis.flushdb();
  return rows;
}

import { randomUUID } from 'node:crypto';
import { createKeys, type DeliveryAttempt } from '@outboundiq/core';
import { createDeliveryLog } from '@outboundiq/webhook-store';
import type { Redis } from 'ioredis';
import { dialBatch, companyNames } from './dials.js';
import { benchThroughput, type BenchContext } from './e2e.js';
import { round } from './procs.js';
import { table } from './table.js';

export interface DeliveryLogBench {
  /** MEMORY USAGE of one kept record (the hash), by kind, mean over the kept ones. */
  bytesPerRecord: { delivered: number; failed: number };
  /** MEMORY USAGE of one kept failed batch, by dials in it. */
  bytesPerFailedBatch: { dials: number; bytes: number }[];
  /** used_memory growth of one webhook at the contract's caps (200 of any status, 500 failed of 100 dials each). */
  webhookAtCapMiB: number;
  /** End to end, the log on and off (DELIVERY_LOG_ENABLED=false, a bench-only switch), alternated. */
  throughput: { log: 'on' | 'off'; dialsPerSecond: number; deliveriesPerSecond: number; redisUsPerDial: number; senderUsPerDial: number; pipelineUsPerDial: number }[];
  /** Mean dials/s with the log over mean dials/s without it. */
  onOverOff: number | null;
  /**
   * Mean pipeline CPU per dial (redis + batcher + sender) without the log over with it: the
   * throughput ratio of a CPU-bound machine, and far less swayed by other work on a shared one.
   */
  cpuOffOverOn: number | null;
}

const WEBHOOK = 'wh_0123456789abcdef01234567';
const usedMemory = async (redis: Redis) => Number(/^used_memory:(\d+)/m.exec(await redis.info('memory'))?.[1]);
const attempt = (statusCode: number, error?: string): DeliveryAttempt => ({ at: new Date().toISOString(), statusCode, durationMs: 137, ...(error ? { error } : {}) });

async function meanUsage(redis: Redis, keys: string[]): Promise<number> {
  let total = 0;
  for (const key of keys) total += Number(await redis.call('MEMORY', 'USAGE', key, 'SAMPLES', '0'));
  return keys.length === 0 ? 0 : round(total / keys.length);
}

/** Memory of the log in Redis: what one kept record and one kept failed batch cost. */
async function logMemory(redis: Redis): Promise<Pick<DeliveryLogBench, 'bytesPerRecord' | 'bytesPerFailedBatch' | 'webhookAtCapMiB'>> {
  const keys = createKeys('bench-dlog');
  const log = createDeliveryLog({ redis, keys });
  const k = keys.deliveryLog('bench-c0', WEBHOOK);
  const companies = companyNames(1);
  const record = (status: 'delivered' | 'failed', dials: number, attempts: DeliveryAttempt[]) =>
    log.record({
      job: { companySlug: 'bench-c0', webhookId: WEBHOOK, deliveryId: randomUUID(), dialCount: dials, firstPublishedAt: Date.now(), dials: JSON.stringify(dialBatch(companies, 0, dials, Date.now())) },
      status,
      attempts,
      createdAt: Date.now(),
    });
  await redis.flushdb();
  const before = await usedMemory(redis);
  // Past the caps, so what is measured is what stays: 500 failed (with batches), then 200 delivered.
  for (let i = 0; i < 600; i++) await record('failed', 100, [attempt(503, 'HTTP 503'), attempt(503, 'HTTP 503')]);
  for (let i = 0; i < 250; i++) await record('delivered', 100, [attempt(200)]);
  const webhookAtCapMiB = round(((await usedMemory(redis)) - before) / 1048576, 2);
  const failedIds = await redis.zrange(k.failed(), '0', '-1');
  const deliveredIds = await redis.zrange(k.all(), '0', '-1');
  const bytesPerRecord = {
    delivered: await meanUsage(redis, deliveredIds.map((id) => k.record(id))),
    failed: await meanUsage(redis, failedIds.map((id) => k.record(id))),
  };
  const bytesPerFailedBatch = [{ dials: 100, bytes: await meanUsage(redis, failedIds.map((id) => k.batch(id))) }];
  await redis.flushdb();
  for (let i = 0; i < 50; i++) await record('failed', 1, [attempt(503, 'HTTP 503'), attempt(503, 'HTTP 503')]);
  bytesPerFailedBatch.unshift({ dials: 1, bytes: await meanUsage(redis, (await redis.zrange(k.failed(), '0', '-1')).map((id) => k.batch(id))) });
  await redis.flushdb();
  return { bytesPerRecord, bytesPerFailedBatch, webhookAtCapMiB };
}

/**
 * The delivery log's section: its memory per record and per kept batch, and the pipeline's
 * throughput with and without it (on, off, off, on: drift weighs on both alike).
 */
export async function benchDeliveryLog(ctx: BenchContext, sizes: { dials: number; chunk: number; window: number; companies: number; smoke: boolean }): Promise<DeliveryLogBench> {
  const memory = await logMemory(ctx.redis);
  const throughput: DeliveryLogBench['throughput'] = [];
  // A smoke run only shows both runs work; its sizes mean nothing anyway.
  for (const log of sizes.smoke ? (['on', 'off'] as const) : (['on', 'off', 'off', 'on'] as const)) {
    const withLog = { ...ctx, appEnv: { ...ctx.appEnv, ...(log === 'off' ? { DELIVERY_LOG_ENABLED: 'false' } : {}) } };
    const row = await benchThroughput(withLog, { batchers: 1, senders: 1, companies: sizes.companies, webhooksPerCompany: 1 }, sizes, `bench-dlog-${log}`);
    const us = row.cpuUsPerDial;
    const pipelineUs = Object.entries(us).filter(([name]) => name === 'redis' || name.startsWith('batcher') || name.startsWith('sender')).reduce((a, [, v]) => a + v, 0);
    throughput.push({
      log, dialsPerSecond: row.dialsPerSecond, deliveriesPerSecond: row.httpPerSecond,
      redisUsPerDial: us.redis ?? 0, senderUsPerDial: us['sender-1'] ?? 0, pipelineUsPerDial: round(pipelineUs, 1),
    });
  }
  const mean = (log: 'on' | 'off', of: (t: DeliveryLogBench['throughput'][number]) => number) => {
    const rows = throughput.filter((t) => t.log === log);
    return rows.reduce((a, t) => a + of(t), 0) / rows.length;
  };
  const rate = (log: 'on' | 'off') => mean(log, (t) => t.dialsPerSecond);
  const cpu = (log: 'on' | 'off') => mean(log, (t) => t.pipelineUsPerDial);
  return {
    ...memory,
    throughput,
    onOverOff: rate('off') > 0 ? round(rate('on') / rate('off'), 3) : null,
    cpuOffOverOn: cpu('on') > 0 ? round(cpu('off') / cpu('on'), 3) : null,
  };
}

export function printDeliveryLog(r: DeliveryLogBench): void {
  console.log(
    table('8a. Delivery log: Redis bytes per kept record and per kept failed batch (MEMORY USAGE)', ['what', 'bytes'], [
      ['record, delivered (1 attempt)', r.bytesPerRecord.delivered],
      ['record, failed (2 attempts)', r.bytesPerRecord.failed],
      ...r.bytesPerFailedBatch.map((b) => [`failed batch of ${b.dials} dial${b.dials === 1 ? '' : 's'}`, b.bytes] as [string, number]),
      ['one webhook at the caps (200 + 500 failed of 100 dials), MiB', r.webhookAtCapMiB],
    ]),
  );
  console.log(
    table(
      `8b. End to end with and without the delivery log (1+1, many companies, 1 webhook): dials/s with/without = ${r.onOverOff ?? '-'}; ` +
        `pipeline CPU per dial without/with = ${r.cpuOffOverOn ?? '-'} (goal: 0.9 or more)`,
      ['log', 'dials/s', 'deliveries/s', 'redis CPU us/dial', 'sender CPU us/dial', 'pipeline CPU us/dial'],
      r.throughput.map((t) => [t.log, t.dialsPerSecond, t.deliveriesPerSecond, t.redisUsPerDial, t.senderUsPerDial, t.pipelineUsPerDial]),
    ),
  );
}

import { Writable } from 'node:stream';
import { QUEUE_NAMES, createLogger, secretBoxFromEnv, type DeliveryJob, type DialEvent, type Keys, type Logger, type RedisClient } from '@outboundiq/core';
import { createWebhookStore, type WebhookStore } from '@outboundiq/webhook-store';
import { Queue } from 'bullmq';
import { createBatcher } from '../src/batcher.js';
import { createScheduler, type Scheduler } from '../src/scheduler.js';
import { createStreamReader } from '../src/streams.js';
import { listenForWakeups } from '../src/wakeups.js';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A company slug of shard `shard`: the layout decides, so tests pick slugs by it. */
export function companyIn(keys: Keys, shard: number, name = 'co'): string {
  for (let i = 0; ; i++) {
    const slug = `${name}-${i}`;
    if (keys.shardOf(slug) === shard) return slug;
  }
}

/**
 * The producer's publish as agreed for key layout 2: append, mark the company ready unless it is
 * leased, and when it is then the shard's only ready company, PUBLISH the shard number on the wake
 * channel. Kept here so these tests do not wait for the producer's own change; they exercise the
 * batcher's side of the protocol.
 */
const PUBLISH_SCRIPT = `
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('XADD', KEYS[3], '*', 'd', ARGV[2], 't', ARGV[3])
if redis.call('ZSCORE', KEYS[4], ARGV[1]) then return 1 end
local t = redis.call('TIME')
if redis.call('ZADD', KEYS[2], 'NX', t[1] * 1000 + math.floor(t[2] / 1000), ARGV[1]) == 1 and redis.call('ZCARD', KEYS[2]) == 1 then
  redis.call('PUBLISH', ARGV[4], ARGV[5])
end
return 1
`;

/** Publishes dials of one company the way the producer does; resolves to whether they were appended. */
export async function publishDials(redis: RedisClient, keys: Keys, dials: DialEvent[]): Promise<boolean> {
  const company = dials[0]!.companySlug;
  const shard = keys.shardOfCompany(company);
  const appended = await redis.eval(
    PUBLISH_SCRIPT, 4, shard.enabledCompanies(), shard.ready(), keys.dials(company), shard.leases(),
    company, JSON.stringify(dials), Date.now(), keys.wakeChannel(), shard.shard,
  );
  return appended === 1;
}

/** A logger whose lines the test can read. */
export function captureLogger(name: string): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createLogger({ name, level: 'debug' }, sink), lines };
}

export interface TestBatcher {
  redis: RedisClient;
  store: WebhookStore;
  queues: Queue<DeliveryJob>[];
  /** The shard of every claim call, in order. */
  claimCalls: number[];
  /** Every company claimed, in order. */
  claimed: string[];
  close(): Promise<void>;
}

/**
 * The batcher's loop wired as app.ts wires it (wake subscription included), with the scheduler's
 * claim counted. `client` makes each connection, so the same test runs on one Redis and on a cluster.
 */
export function startTestBatcher(keys: Keys, client: (name: string) => RedisClient, settings: { idleCheckMs: number }): TestBatcher {
  const { logger } = captureLogger('test-batcher');
  const token = `test-${process.pid}-${Date.now()}`;
  const redis = client('test-batcher');
  const queueRedis = client('test-batcher-queue');
  const queues = keys.allShards().map((shard) => new Queue<DeliveryJob>(QUEUE_NAMES.deliveries, { connection: queueRedis, prefix: shard.bullPrefix() }));
  const real = createScheduler(redis, keys, { maxWaitMs: 10, leaseMs: 5_000, token });
  const claimCalls: number[] = [];
  const claimed: string[] = [];
  const scheduler: Scheduler = {
    ...real,
    async claim(shard, limit, maxWaitMs) {
      claimCalls.push(shard);
      const result = await real.claim(shard, limit, maxWaitMs);
      claimed.push(...result.claims.map((c) => c.companySlug));
      return result;
    },
  };
  const batcher = createBatcher({
    redis, queues, keys, scheduler, logger,
    reader: createStreamReader(redis, keys, token),
    jobOptions: { removeOnComplete: true },
    queueDepth: async () => 0,
    config: {
      maxDialsPerBatch: 100, readCount: 100, retryAfterMs: 1_000, deadLetterMaxLen: 1_000,
      concurrency: 8, idleCheckMs: settings.idleCheckMs, claimRetryMs: 500, renewEveryMs: 1_000,
      backpressureJobs: 1_000, backpressureWaitMs: 1_000,
    },
  });
  const wakeups = listenForWakeups(client('test-batcher-wake'), keys, logger, { wake: batcher.wake, resubscribed: batcher.wakeAll });
  batcher.start();
  return {
    redis,
    store: createWebhookStore({ redis, keys, secretBox: secretBoxFromEnv(undefined, 'test').box }),
    queues,
    claimCalls,
    claimed,
    async close() {
      await batcher.stop();
      await wakeups.close();
      await Promise.all(queues.map((queue) => queue.close()));
      await Promise.all([redis.quit(), queueRedis.quit()]);
    },
  };
}

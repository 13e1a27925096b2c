import { describe, expect, it } from '@jest/globals';
import { createKeys, createLogger, type RedisClient } from '@outboundiq/core';
import { createBatcher, type BatcherConfig } from './batcher.js';
import type { ClaimResult, Scheduler } from './scheduler.js';
import type { StreamReader } from './streams.js';

const CONFIG: BatcherConfig = {
  concurrency: 32, idleCheckMs: 60_000, claimRetryMs: 500, renewEveryMs: 60_000, backpressureJobs: 1_000, backpressureWaitMs: 1_000,
  maxDialsPerBatch: 100, readCount: 100, retryAfterMs: 1_000, deadLetterMaxLen: 100,
};

const until = async (check: () => boolean, what: string) => {
  for (const deadline = Date.now() + 5_000; !check(); await new Promise((r) => setTimeout(r, 5))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
  }
};

describe('the claim loop', () => {
  it('gives a shard whose claim call hangs (its master failing over) no more than its part of the slots', async () => {
    const keys = createKeys('t', 16);
    const calls: { shard: number; limit: number }[] = [];
    let releaseHung: (result: ClaimResult) => void = () => undefined;
    let hang = false;
    const scheduler = {
      claim: (shard: number, limit: number) => {
        calls.push({ shard, limit });
        if (shard === 3 && hang) return new Promise<ClaimResult>((resolve) => (releaseHung = resolve));
        return Promise.resolve({ claims: [], waitMs: -1 });
      },
      release: () => Promise.resolve('released' as const),
      renew: () => Promise.resolve(0),
    } as unknown as Scheduler;
    const batcher = createBatcher({
      redis: {} as RedisClient, queues: [], keys, scheduler, reader: {} as StreamReader, logger: createLogger({ name: 'test', level: 'silent' }),
      config: CONFIG, jobOptions: {}, queueDepth: () => Promise.resolve(0),
    });
    batcher.start();
    try {
      await until(() => calls.length >= 16, 'the first look at every shard');
      // Shard 3 due alone, its master gone: the call hangs. Then shard 5 gets work.
      hang = true;
      batcher.wake(3);
      await until(() => calls.filter((c) => c.shard === 3).length === 2, 'the hanging claim on shard 3');
      batcher.wake(5);
      await until(() => calls.filter((c) => c.shard === 5).length === 2, 'a claim on shard 5 while shard 3 hangs');
      expect(calls.filter((c) => c.shard === 3)[1]!.limit).toBe(2);
    } finally {
      releaseHung({ claims: [], waitMs: -1 });
      await batcher.stop();
    }
  });
});

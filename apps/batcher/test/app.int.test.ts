import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createKeys, createRedisClient, ensureLayout, secretBoxFromEnv, QUEUE_NAMES, type Redis } from '@outboundiq/core';
import { deleteKeys, sampleDial, sleep, uniquePrefix, waitFor } from '@outboundiq/testkit';
import { createWebhookStore } from '@outboundiq/webhook-store';
import { Queue } from 'bullmq';
import { loadConfig, startBatcherApp, type BatcherApp } from '../src/app.js';
import { REDIS_URL, captureLogger, companyIn, publishDials } from './harness.js';

describe('the batcher app on one Redis', () => {
  let redis: Redis;
  const prefixes: string[] = [];
  const newPrefix = (name: string) => {
    const prefix = uniquePrefix(name);
    prefixes.push(prefix);
    return prefix;
  };

  beforeAll(() => {
    redis = createRedisClient({ url: REDIS_URL, role: 'worker', name: 'test-batcher-app' });
  });

  afterAll(async () => {
    for (const prefix of prefixes) await deleteKeys(redis, prefix);
    await redis.quit();
  });

  it('refuses to start with another SHARDS than the data\'s, naming both, and writes nothing', async () => {
    const prefix = newPrefix('batcher-shards-mismatch');
    await ensureLayout(redis, createKeys(prefix, 4));
    const { logger } = captureLogger('batcher');
    const start = startBatcherApp(loadConfig({ REDIS_URL, KEY_PREFIX: prefix, SHARDS: '16', PORT: '0' }), logger);
    await expect(start).rejects.toThrow(/SHARDS is 16.*SHARDS=4/);
    const written: string[] = [];
    for await (const batch of redis.scanStream({ match: `${prefix}:*`, count: 1_000 })) written.push(...(batch as string[]));
    expect(written).toEqual([`${prefix}:layout`]);
  });

  describe('with S = 4, woken by messages only (idle re-check 60 s)', () => {
    const prefix = newPrefix('batcher-app');
    const keys = createKeys(prefix, 4);
    const logs = captureLogger('batcher');
    let app: BatcherApp;

    beforeAll(async () => {
      app = await startBatcherApp(loadConfig({ REDIS_URL, KEY_PREFIX: prefix, SHARDS: '4', PORT: '0', BATCHER_IDLE_CHECK_MS: '60000' }), logs.logger);
    });

    afterAll(async () => {
      await app.stop();
    });

    it('logs its shards, and turns a dial of each shard into a job in that shard\'s queue', async () => {
      expect(logs.lines.find((l) => l.msg === 'batcher started')).toMatchObject({ shards: 4, keyPrefix: prefix });
      const store = createWebhookStore({ redis, keys, secretBox: secretBoxFromEnv(undefined, 'test').box });
      const companies = [0, 1, 2, 3].map((shard) => companyIn(keys, shard, 'app'));
      for (const company of companies) await store.create(company, { name: 'hook', url: 'https://hooks.example.com/a', headers: {}, enabled: true });
      // Past the start-up checks: from here only a wake message gets a shard looked at within a minute.
      await sleep(500);
      for (const [n, company] of companies.entries()) await publishDials(redis, keys, [sampleDial(company, n)]);
      const queues = keys.allShards().map((shard) => new Queue(QUEUE_NAMES.deliveries, { connection: redis, prefix: shard.bullPrefix() }));
      try {
        await waitFor(async () => (await Promise.all(queues.map((q) => q.getWaitingCount()))).every((n) => n === 1), 10_000, 'one job in every shard\'s queue');
        for (const [shard, queue] of queues.entries()) {
          const [job] = await queue.getWaiting();
          expect(job?.data).toMatchObject({ companySlug: companies[shard], dialCount: 1 });
        }
      } finally {
        await Promise.all(queues.map((q) => q.close()));
      }
    });
  });
});

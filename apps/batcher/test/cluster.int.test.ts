import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { BATCHER_GROUP, createKeys, createRedisClient, parseClusterNodes, QUEUE_NAMES, secretBoxFromEnv, slotOf, type Cluster } from '@outboundiq/core';
import { sampleDial, sleep, startRedisCluster, uniquePrefix, waitFor, type RedisCluster } from '@outboundiq/testkit';
import { createWebhookStore } from '@outboundiq/webhook-store';
import { Queue } from 'bullmq';
import { loadConfig, startBatcherApp, type BatcherApp } from '../src/app.js';
import { createScheduler } from '../src/scheduler.js';
import { createStreamReader } from '../src/streams.js';
import { captureLogger, companyIn, publishDials } from './harness.js';

const SHARDS = 4;

/**
 * The same scripts, MULTI and queues on a real Redis Cluster (3 masters, 3 replicas) of this file's
 * own: a key of another slot in any of them would fail with CROSSSLOT.
 */
describe('the batcher on Redis Cluster (S = 4)', () => {
  let cluster: RedisCluster;
  const connect = (name: string): Cluster => createRedisClient({ cluster: parseClusterNodes(cluster.seeds), role: 'worker', name });
  let redis: Cluster;

  beforeAll(async () => {
    cluster = await startRedisCluster();
    redis = connect('test-batcher-cluster');
  }, 60_000);

  afterAll(async () => {
    await redis?.quit();
    await cluster?.stop();
  });

  it('claims, reads, acknowledges, renews and releases on every shard, each in its own slot', async () => {
    const keys = createKeys(uniquePrefix('batcher-cluster-scheduler'), SHARDS);
    const scheduler = createScheduler(redis, keys, { maxWaitMs: 0, leaseMs: 30_000, token: 'me' });
    const reader = createStreamReader(redis, keys, 'me');
    const subscriber = connect('test-batcher-cluster-sub');
    const wakes: string[] = [];
    subscriber.on('message', (_channel: string, message: string) => wakes.push(message));
    await subscriber.subscribe(keys.wakeChannel());
    try {
      const masters = await Promise.all(keys.allShards().map(async (shard) => (await cluster.masterOfSlot(slotOf(shard.ready()))).port));
      expect(new Set(masters).size).toBeGreaterThan(1);
      const companies = [0, 1, 2, 3].map((shard) => companyIn(keys, shard, 'cl'));
      for (const company of companies) {
        const shard = keys.shardOfCompany(company);
        await redis.xadd(keys.dials(company), '*', 'd', '[]', 't', '0');
        await redis.zadd(shard.ready(), Date.now() - 1_000, company);
      }
      for (const [shard, company] of companies.entries()) {
        expect((await scheduler.claim(shard, 10)).claims).toEqual([{ companySlug: company, shard, kind: 'fresh' }]);
        const pass = await reader.readNew(company, 10);
        expect(pass.entries).toHaveLength(1);
        const tx = redis.multi();
        tx.xadd(keys.deadLetters(company), '*', 'entryId', pass.entries[0]!.id, 'reason', 'test');
        tx.xack(keys.dials(company), BATCHER_GROUP, pass.entries[0]!.id);
        tx.xdel(keys.dials(company), pass.entries[0]!.id);
        expect((await tx.exec())?.every(([err]) => err === null)).toBe(true);
      }
      expect(await scheduler.renew(companies)).toBe(SHARDS);
      // Dials arrive for shard 2's company while it is held: its release marks it ready and wakes shard 2.
      await redis.xadd(keys.dials(companies[2]!), '*', 'd', '[]', 't', '0');
      const outcomes = await Promise.all(companies.map((company) => scheduler.release(company)));
      expect(outcomes).toEqual(['released', 'released', 'ready-again', 'released']);
      await waitFor(() => wakes.includes('2'), 5_000, 'the wake message of shard 2');
      expect(wakes).toEqual(['2']);
    } finally {
      await subscriber.quit();
    }
  });

  describe('the app, woken by messages only (idle re-check 60 s)', () => {
    const prefix = uniquePrefix('batcher-cluster-app');
    const keys = createKeys(prefix, SHARDS);
    const logs = captureLogger('batcher');
    let app: BatcherApp;

    beforeAll(async () => {
      app = await startBatcherApp(
        loadConfig({ REDIS_CLUSTER_NODES: cluster.seeds, KEY_PREFIX: prefix, SHARDS: String(SHARDS), PORT: '0', BATCHER_IDLE_CHECK_MS: '60000' }),
        logs.logger,
      );
    }, 30_000);

    afterAll(async () => {
      await app?.stop();
    });

    it('turns a dial of each shard into a job in that shard\'s queue', async () => {
      expect(logs.lines.find((l) => l.msg === 'batcher started')).toMatchObject({ shards: SHARDS, cluster: true });
      const store = createWebhookStore({ redis, keys, secretBox: secretBoxFromEnv(undefined, 'test').box });
      const companies = [0, 1, 2, 3].map((shard) => companyIn(keys, shard, 'app'));
      for (const company of companies) await store.create(company, { name: 'hook', url: 'https://hooks.example.com/a', headers: {}, enabled: true });
      await sleep(500);
      for (const [n, company] of companies.entries()) expect(await publishDials(redis, keys, [sampleDial(company, n)])).toBe(true);
      const queues = keys.allShards().map((shard) => new Queue(QUEUE_NAMES.deliveries, { connection: redis, prefix: shard.bullPrefix() }));
      try {
        await waitFor(async () => (await Promise.all(queues.map((q) => q.getWaitingCount()))).every((n) => n === 1), 15_000, 'one job in every shard\'s queue');
        for (const [shard, queue] of queues.entries()) {
          const [job] = await queue.getWaiting();
          expect(job?.data).toMatchObject({ companySlug: companies[shard], dialCount: 1 });
          expect(await redis.xlen(keys.dials(companies[shard]!))).toBe(0);
        }
      } finally {
        await Promise.all(queues.map((q) => q.close()));
      }
      expect(logs.lines.filter((l) => (l.level as number) >= 50)).toEqual([]);
    });
  });
});

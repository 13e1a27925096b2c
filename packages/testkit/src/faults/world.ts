import { BATCHER_GROUP, createKeys, createRedisClient, parseClusterNodes, type Cluster, type Keys, type Redis, type RedisClient } from '@outboundiq/core';
import { REPO_ROOT } from '../apps.js';
import { ensureTestCa } from '../ca.js';
import { startHttpsReceiver, type Receiver } from '../receiver.js';
import { startRedisCluster, type RedisCluster, type RedisClusterOptions } from '../redis-cluster.js';
import { uniquePrefix } from '../redis-helpers.js';
import { startRedisServer, type RedisServer, type RedisServerOptions } from '../redis-server.js';
import { Fleet } from './fleet.js';
import { DialLedger } from './ledger.js';
import type { DialPublisher } from './load.js';

/** What the world hands the producer factory: where Redis is (exactly one of the two) and the options. */
export type WorldProducerOptions = ({ redisUrl: string } | { clusterNodes: string[] }) & {
  keyPrefix: string;
  waitForReplicas?: number;
  timeoutMs?: number;
};

/** What the world needs from the webhook store and the producer, injected (they depend on testkit). */
export interface WorldDeps {
  createStore(redis: RedisClient, keys: Keys): {
    create(company: string, input: { name: string; url: string; headers: Record<string, string>; enabled: boolean }): Promise<{ webhook: { id: string } }>;
  };
  createProducer(options: WorldProducerOptions): DialPublisher & { close(): Promise<void> };
}

export interface FaultWorldOptions {
  name: string;
  /** The private redis-server's options (a world without `cluster`). */
  redis?: RedisServerOptions;
  /** Run on a Redis Cluster of the world's own instead of a redis-server (AOF, fsync always). */
  cluster?: RedisClusterOptions;
  /** SHARDS of the apps and the world's keys. Default 1. */
  shards?: number;
  /** The producer's options beyond where Redis is (`waitForReplicas`, `timeoutMs`). */
  producer?: { waitForReplicas?: number; timeoutMs?: number };
  /** Environment of every app, on top of REDIS_URL or REDIS_CLUSTER_NODES, SHARDS, KEY_PREFIX, ALLOW_PRIVATE_DESTINATIONS, PORT. */
  env?: Record<string, string>;
}

interface WorldBase {
  prefix: string;
  keys: Keys;
  receiver: Receiver;
  ledger: DialLedger;
  fleet: Fleet;
  producer: DialPublisher & { close(): Promise<void> };
  /** Creates `count` webhooks of a company at receiver paths `/<company>/<n>`; returns the paths. */
  addWebhooks(company: string, count: number): Promise<string[]>;
  /** Entries read but not acknowledged in the batchers' group, over every company with webhooks. */
  pendingEntries(): Promise<number>;
  /** Stops every process, the receiver and the redis-server or cluster; never throws. */
  close(): Promise<void>;
}

/** A world on one private redis-server. */
export interface FaultWorld extends WorldBase {
  redisServer: RedisServer;
  cluster?: undefined;
  /** The test's own client (never gives up on a command, like the workers). */
  redis: Redis;
}

/** A world on a private Redis Cluster. */
export interface ClusterFaultWorld extends WorldBase {
  redisServer?: undefined;
  cluster: RedisCluster;
  /** The test's own Cluster client (worker role: waits out a failover instead of failing). */
  redis: Cluster;
}

/**
 * One scenario's world: a private redis-server (AOF, fsync always, its own port) or a private Redis
 * Cluster (`cluster`), a recording HTTPS receiver trusted through the test CA, the producer, a
 * ledger and a fleet of app processes.
 */
export function startFaultWorld(options: FaultWorldOptions & { cluster: RedisClusterOptions }, deps: WorldDeps): Promise<ClusterFaultWorld>;
export function startFaultWorld(options: FaultWorldOptions & { cluster?: undefined }, deps: WorldDeps): Promise<FaultWorld>;
export function startFaultWorld(options: FaultWorldOptions, deps: WorldDeps): Promise<FaultWorld | ClusterFaultWorld>;
export async function startFaultWorld(options: FaultWorldOptions, deps: WorldDeps): Promise<FaultWorld | ClusterFaultWorld> {
  const backend = options.cluster
    ? await startRedisCluster({ appendOnly: true, ...options.cluster }).then((cluster) => ({ cluster }))
    : await startRedisServer({ appendOnly: true, ...options.redis }).then((redisServer) => ({ redisServer }));
  const cleanups: (() => Promise<unknown> | void)[] = ['cluster' in backend ? () => backend.cluster.stop() : () => backend.redisServer.stop()];
  const close = async () => {
    for (const cleanup of cleanups.reverse()) await Promise.resolve().then(cleanup).catch(() => undefined);
    cleanups.length = 0;
  };
  try {
    const prefix = uniquePrefix(options.name);
    const shards = options.shards ?? 1;
    const keys = createKeys(prefix, shards);
    const receiver = await startHttpsReceiver(ensureTestCa(`${REPO_ROOT}.test-ca`));
    cleanups.push(() => receiver.close());
    const name = `fault-${options.name}`;
    const redis: RedisClient =
      'cluster' in backend
        ? createRedisClient({ cluster: parseClusterNodes(backend.cluster.seeds), role: 'worker', name })
        : createRedisClient({ url: backend.redisServer.url, role: 'worker', name });
    cleanups.push(() => redis.disconnect());
    const where = 'cluster' in backend ? { clusterNodes: backend.cluster.seeds.split(',') } : { redisUrl: backend.redisServer.url };
    const producer = deps.createProducer({ ...where, keyPrefix: prefix, ...options.producer });
    cleanups.push(() => producer.close());
    const fleet = new Fleet({
      ...('cluster' in backend ? { REDIS_CLUSTER_NODES: backend.cluster.seeds } : { REDIS_URL: backend.redisServer.url }),
      SHARDS: String(shards),
      KEY_PREFIX: prefix,
      ALLOW_PRIVATE_DESTINATIONS: 'true',
      PORT: '0',
      LOG_LEVEL: 'info',
      ...options.env,
    });
    cleanups.push(() => fleet.stopAll());
    const ledger = new DialLedger();
    const store = deps.createStore(redis, keys);
    const companies = new Set<string>();
    const world: WorldBase = {
      prefix, keys, receiver, ledger, fleet, producer, close,
      async addWebhooks(company, count) {
        companies.add(company);
        const paths: string[] = [];
        for (let n = 0; n < count; n++) {
          const path = `/${company}/${n}`;
          await store.create(company, { name: path, url: receiver.url(path), headers: {}, enabled: true });
          ledger.addWebhook(path, company);
          paths.push(path);
        }
        return paths;
      },
      async pendingEntries() {
        // One key per call: on a cluster each goes to its company's master.
        const replies = await Promise.all(
          [...companies].map((company) => (redis.xpending(keys.dials(company), BATCHER_GROUP) as Promise<[number | string]>).catch(() => [0])),
        );
        return replies.reduce((sum, [n]) => sum + Number(n), 0);
      },
    };
    return 'cluster' in backend
      ? { ...world, cluster: backend.cluster, redis: redis as Cluster }
      : { ...world, redisServer: backend.redisServer, redis: redis as Redis };
  } catch (err) {
    await close();
    throw err;
  }
}

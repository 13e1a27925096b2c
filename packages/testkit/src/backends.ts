import { parseClusterNodes, type ClusterTarget } from '@outboundiq/core';
import { startRedisCluster, type RedisCluster } from './redis-cluster.js';

/**
 * Where a pipeline test runs: the one Redis of the run (S = 1), or a local Redis Cluster of 3
 * masters and 3 replicas with S = 4. The same test runs on both (`describe.each(TEST_BACKENDS)`),
 * through the same code path, as the apps do.
 */
export interface TestBackend {
  label: string;
  shards: number;
  cluster: boolean;
}

export const ONE_REDIS: TestBackend = { label: 'one Redis, S = 1', shards: 1, cluster: false };
export const LOCAL_CLUSTER: TestBackend = { label: 'Redis Cluster (3 + 3), S = 4', shards: 4, cluster: true };
export const TEST_BACKENDS: readonly TestBackend[] = [ONE_REDIS, LOCAL_CLUSTER];

/** The run's cluster: `pnpm test` starts one and passes its seeds in TEST_REDIS_CLUSTER_NODES. */
const CLUSTER_ENV = 'TEST_REDIS_CLUSTER_NODES';

export interface BackendConnection {
  /** For createRedisClient. */
  target: { url: string } | { cluster: ClusterTarget };
  /** What the apps get: REDIS_URL or REDIS_CLUSTER_NODES, and SHARDS. */
  env: Record<string, string>;
  /** For createDialProducer. */
  producer: { redisUrl: string } | { clusterNodes: string[] };
}

let ownCluster: Promise<RedisCluster> | undefined;

/** The seeds of the run's cluster, or of one started for this process (a test file run on its own). */
export async function testClusterSeeds(): Promise<string> {
  const given = process.env[CLUSTER_ENV];
  if (given) return given;
  ownCluster ??= startRedisCluster().then((cluster) => {
    // Nothing else stops it: a jest worker just exits. Kill its nodes with the process.
    process.once('exit', () => void cluster.stop());
    return cluster;
  });
  return (await ownCluster).seeds;
}

export async function connectBackend(backend: TestBackend, redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'): Promise<BackendConnection> {
  if (!backend.cluster) {
    return { target: { url: redisUrl }, env: { REDIS_URL: redisUrl, SHARDS: String(backend.shards) }, producer: { redisUrl } };
  }
  const seeds = await testClusterSeeds();
  return {
    target: { cluster: parseClusterNodes(seeds) },
    env: { REDIS_CLUSTER_NODES: seeds, SHARDS: String(backend.shards) },
    producer: { clusterNodes: seeds.split(',') },
  };
}

import { parseClusterNodes, type ClusterTarget } from '@outboundiq/core';

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

const CLUSTER_ENV = 'TEST_REDIS_CLUSTER_NODES';

export interface BackendConnection {
  /** For createRedisClient. */
  target: { url: string } | { cluster: ClusterTarget };
  /** What the apps get: REDIS_URL or REDIS_CLUSTER_NODES, and SHARDS. */
  env: Record<string, string>;
  /** For createDialProducer. */
  producer: { redisUrl: string } | { clusterNodes: string[] };
}

/**
 * The seeds of the run's cluster. `node scripts/test.mjs` (what `pnpm test` runs) starts it once
 * for every test file; a jest run started some other way has none, and is told how to get one
 * (a cluster started inside a jest worker would outlive the run and keep jest from exiting).
 */
export function testClusterSeeds(): string {
  const given = process.env[CLUSTER_ENV];
  if (!given) throw new Error(`the Redis Cluster test backend needs ${CLUSTER_ENV}: run the tests through \`node scripts/test.mjs\` (pnpm test), which starts a local cluster for the run`);
  return given;
}

export async function connectBackend(backend: TestBackend, redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'): Promise<BackendConnection> {
  if (!backend.cluster) {
    return { target: { url: redisUrl }, env: { REDIS_URL: redisUrl, SHARDS: String(backend.shards) }, producer: { redisUrl } };
  }
  const seeds = testClusterSeeds();
  return {
    target: { cluster: parseClusterNodes(seeds) },
    env: { REDIS_CLUSTER_NODES: seeds, SHARDS: String(backend.shards) },
    producer: { clusterNodes: seeds.split(',') },
  };
}

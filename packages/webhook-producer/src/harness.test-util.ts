// Shared by the producer's int tests: a Redis to run against (one redis-server with S = 1, or a
// local Redis Cluster with S = 4), with the layout stored the way the workers store it.
import {
  createKeys,
  createRedisClient,
  ensureLayout,
  parseClusterNodes,
  secretBoxFromEnv,
  type ClusterTarget,
  type Keys,
  type RedisClient,
} from '@outboundiq/core';
import { deleteKeys, startRedisCluster, uniquePrefix, type RedisCluster } from '@outboundiq/testkit';
import { createWebhookStore } from '@outboundiq/webhook-store';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface Target {
  /** What the producer is given to reach this Redis. */
  connection: { redisUrl: string } | { clusterNodes: string[] };
  /** The same Redis, for core's createRedisClient. */
  redisTarget: { url: string } | { cluster: ClusterTarget };
  /** A worker-role client for set-up and for reading what the producer wrote. */
  admin: RedisClient;
  keys: Keys;
  cluster?: RedisCluster;
  stop(): Promise<void>;
}

export type TargetKind = 'one Redis (S = 1)' | 'Redis Cluster (S = 4)';
export const TARGETS: TargetKind[] = ['one Redis (S = 1)', 'Redis Cluster (S = 4)'];

export async function startTarget(kind: TargetKind, name: string): Promise<Target> {
  const prefix = uniquePrefix(name);
  if (kind === 'one Redis (S = 1)') {
    const admin = createRedisClient({ url: REDIS_URL, role: 'worker', name: `${name}-admin` });
    const keys = createKeys(prefix, 1);
    await ensureLayout(admin, keys);
    return {
      connection: { redisUrl: REDIS_URL },
      redisTarget: { url: REDIS_URL },
      admin,
      keys,
      async stop() {
        await deleteKeys(admin, prefix);
        await admin.quit();
      },
    };
  }
  const cluster = await startRedisCluster();
  const redisTarget = { cluster: parseClusterNodes(cluster.seeds) };
  const admin = createRedisClient({ ...redisTarget, role: 'worker', name: `${name}-admin` });
  const keys = createKeys(prefix, 4);
  await ensureLayout(admin, keys);
  return {
    connection: { clusterNodes: cluster.seeds.split(',') },
    redisTarget,
    admin,
    keys,
    cluster,
    async stop() {
      admin.disconnect();
      await cluster.stop();
    },
  };
}

/** Gives each company one enabled webhook, the way the admin API does. */
export async function enableCompanies(target: Pick<Target, 'admin' | 'keys'>, companies: readonly string[]): Promise<void> {
  const store = createWebhookStore({ redis: target.admin, keys: target.keys, secretBox: secretBoxFromEnv(undefined, 'test').box });
  for (const company of companies) {
    await store.create(company, { name: 'crm', url: 'https://crm.example.com/hook', headers: {}, enabled: true });
  }
}

/** The dials in a company's stream, in order. */
export async function storedDials(client: RedisClient, keys: Keys, company: string): Promise<Record<string, unknown>[]> {
  const entries = await client.xrange(keys.dials(company), '-', '+');
  return entries.flatMap(([, fields]) => JSON.parse(fields[1]!) as Record<string, unknown>[]);
}

export const dial = (over: Record<string, unknown> = {}) => ({
  companySlug: 'acme',
  callId: 'AB12345',
  callDirection: 'outbound',
  timestamp: '2026-04-10T18:32:15.000Z',
  ani: '5551234567',
  phone: '5559876543',
  campaign: 'Q2 Outbound Push',
  campaignInternalId: 'abc-123',
  agent: 'Jane Doe',
  disposition: 'Sale',
  dispositionId: '42',
  contact: true,
  success: true,
  isSystemDispo: false,
  totalDialAttempts: 3,
  ...over,
});

import { deleteKeys } from '@outboundiq/testkit';
import { randomBytes } from 'node:crypto';
import { QUEUE_NAMES, SecretBox, type Keys, createKeys, createLogger, createRedisClient, type HostCheck } from '@outboundiq/core';
import { createDialProducer } from '@outboundiq/webhook-producer';
import { createDeliveryLog, createWebhookStore } from '@outboundiq/webhook-store';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { buildApp, type AdminApp } from '../src/app.js';
import type { AuthFailures } from '../src/auth-failures.js';
import { createPortalSessions, type PortalSessions } from '../src/portal-sessions.js';
import { createReadiness, type Readiness } from '../src/routes/health.js';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const TOKENS = ['token-alpha-0123456789', 'token-beta-9876543210'] as const;
export const AUTH = { authorization: `Bearer ${TOKENS[0]}` };

export interface Harness {
  prefix: string;
  app: AdminApp;
  redis: Redis;
  queue: Queue;
  queues: Queue[];
  keys: Keys;
  store: ReturnType<typeof createWebhookStore>;
  portalSessions: PortalSessions;
  /** The clock portal sessions expire by (real time plus offsetMs): tests move it on. */
  clock: { offsetMs: number };
  readiness: Readiness;
  /** Every log line the app wrote, as written. */
  logLines: string[];
  close(): Promise<void>;
}

/** A real app on the real Redis under a key prefix of its own; `close` deletes every key it made. */
export function createHarness(name: string, options: { checkHost?: HostCheck; pingRedis?: Pick<Redis, 'ping'>; webRoot?: string; shards?: number; prefix?: string; authFailures?: AuthFailures; frameAncestors?: string[]; trustProxy?: number | string[] } = {}): Harness {
  const prefix = options.prefix ?? `test-admin-${name}-${process.pid}-${Date.now()}`;
  const keys = createKeys(prefix, options.shards ?? 1);
  const logLines: string[] = [];
  const logger = createLogger({ name: 'admin-test', level: 'trace' }, { write: (line: string) => void logLines.push(line) });
  const redis = createRedisClient({ url: REDIS_URL, role: 'publisher', name: 'admin-test' });
  const queueConnection = createRedisClient({ url: REDIS_URL, role: 'worker', name: 'admin-test-queue' });
  const queues = keys.allShards().map((shard) => new Queue(QUEUE_NAMES.deliveries, { connection: queueConnection, prefix: shard.bullPrefix() }));
  const queue = queues[0]!;
  const store = createWebhookStore({ redis, keys, secretBox: new SecretBox(randomBytes(32)) });
  const readiness = createReadiness();
  const clock = { offsetMs: 0 };
  const portalSessions = createPortalSessions({ redis, keys, now: () => Date.now() + clock.offsetMs });
  const app = buildApp({
    store,
    redis: options.pingRedis ?? redis,
    queues,
    deliveries: { log: createDeliveryLog({ redis, keys }), shardOf: (company) => keys.shardOf(company) },
    logger,
    readiness,
    producer: createDialProducer({ redis, keyPrefix: prefix }),
    ...(options.webRoot === undefined ? {} : { webRoot: options.webRoot }),
    portalSessions,
    ...(options.authFailures === undefined ? {} : { authFailures: options.authFailures }),
    config: { adminTokens: [...TOKENS], checkHost: options.checkHost, readyPingTimeoutMs: 300, publicUrl: 'https://settings.example.com', frameAncestors: options.frameAncestors ?? [], ...(options.trustProxy === undefined ? {} : { trustProxy: options.trustProxy }) },
  });
  return {
    prefix,
    app,
    redis,
    queue,
    queues,
    keys,
    store,
    portalSessions,
    clock,
    readiness,
    logLines,
    async close() {
      await app.close();
      await Promise.all(queues.map((q) => q.close()));
      await deleteKeys(redis, prefix);
      await Promise.all([redis.quit(), queueConnection.quit()]);
    },
  };
}

export { deleteKeys } from '@outboundiq/testkit';

export const validWebhook = (overrides: Record<string, unknown> = {}) => ({
  name: 'CRM',
  url: 'https://hooks.example.com/outboundiq',
  headers: { 'X-Api-Key': 'k-123' },
  ...overrides,
});

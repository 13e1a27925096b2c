import { fileURLToPath } from 'node:url';
import { QUEUE_NAMES, createHostCheck, createKeys, createLogger, createRedisClient, prepareRedis, redisTarget, secretBoxFromEnv } from '@outboundiq/core';
import { createShutdown, runMain, startingReadiness } from '@outboundiq/runtime';
import { createDialProducer } from '@outboundiq/webhook-producer';
import { createDeliveryLog, createWebhookStore } from '@outboundiq/webhook-store';
import { Queue } from 'bullmq';
import { pino } from 'pino';
import { buildApp } from './app.js';
import { createAuthFailures } from './auth-failures.js';
import { loadConfig } from './config.js';
import { createPortalSessions } from './portal-sessions.js';
import { createReadiness } from './routes/health.js';

/** Longer than any admin request; well inside a Kubernetes grace period. */
const SHUTDOWN_DEADLINE_MS = 10_000;

/** Everything the start checks before connecting anywhere: `--check-config` runs only this. */
function checkedConfig() {
  const config = loadConfig(process.env);
  // Production without SECRETS_ENCRYPTION_KEY is refused here, as the start refuses it.
  secretBoxFromEnv(config.SECRETS_ENCRYPTION_KEY, config.NODE_ENV);
  return config;
}

async function main() {
  const config = checkedConfig();
  // Synchronous writes: with pino's default asynchronous stdout, lines still in flight at exit came
  // out of order or were lost (seen in test/main.test.ts). Nothing is left to flush at shutdown.
  const logger = createLogger({ name: 'admin', level: config.LOG_LEVEL }, pino.destination({ dest: 1, sync: true }));
  const keys = createKeys(config.KEY_PREFIX, config.SHARDS);
  const { box, usedDevKey } = secretBoxFromEnv(config.SECRETS_ENCRYPTION_KEY, config.NODE_ENV);
  if (usedDevKey) logger.warn('SECRETS_ENCRYPTION_KEY is not set: signing secrets are sealed with the public dev key (never do this in production)');

  const target = redisTarget(config);
  const redis = createRedisClient({ ...target, role: 'publisher', name: 'oiq-admin', logger });
  // BullMQ wants a connection that never gives up on a command, hence a worker-role client of its own.
  const queueConnection = createRedisClient({ ...target, role: 'worker', name: 'oiq-admin-board', logger });
  // Every shard's delivery queue, in shard order, for the dashboard and /metrics.
  const queues = keys.allShards().map((shard) => {
    // skipMetasUpdate: the admin only reads and manages jobs; the batchers write the queue's meta. A
    // queue that wrote it here would write before Redis is checked, and an app refused writes nothing.
    const queue = new Queue(QUEUE_NAMES.deliveries, { connection: queueConnection, prefix: shard.bullPrefix(), skipMetasUpdate: true });
    queue.on('error', (err) => logger.warn({ err, shard: shard.shard }, 'delivery queue error'));
    return queue;
  });
  // Like the workers: listening from the first second (/healthz alive, /readyz 503 with the reason,
  // every API route 503) while Redis is waited for and checked below.
  const readiness = createReadiness(() => {
    const state = startingReadiness(queueConnection);
    return state.ready ? 'starting' : state.reason;
  });

  const app = buildApp({
    store: createWebhookStore({ redis, keys, secretBox: box }),
    redis,
    queues,
    deliveries: { log: createDeliveryLog({ redis, keys }), shardOf: (company) => keys.shardOf(company) },
    logger,
    readiness,
    // On the publisher client: a test dial fails fast when Redis is down. Closing it is the client's job.
    producer: createDialProducer({ redis, keyPrefix: config.KEY_PREFIX }),
    webRoot: fileURLToPath(new URL('./web/', import.meta.url)),
    portalSessions: createPortalSessions({ redis, keys }),
    // Shared by every admin copy through Redis, so a guesser gains nothing by spreading over them.
    authFailures: createAuthFailures({ redis, keyPrefix: keys.authFailuresPrefix(), logger }),
    config: {
      adminTokens: config.ADMIN_API_TOKENS,
      checkHost: createHostCheck({ allowPrivate: config.ALLOW_PRIVATE_DESTINATIONS }),
      publicUrl: config.PUBLIC_URL,
      frameAncestors: config.PORTAL_FRAME_ANCESTORS,
      trustProxy: config.TRUST_PROXY,
    },
  });

  // Readiness off first, so a load balancer stops sending before the server closes.
  const shutdown = createShutdown(logger, SHUTDOWN_DEADLINE_MS);
  shutdown.add('readiness off', () => readiness.shutDown());
  shutdown.add('close http server', () => app.close());
  shutdown.add('close queues', async () => void (await Promise.all(queues.map((q) => q.close()))));
  shutdown.add('close redis', async () => void (await Promise.all([redis.quit(), queueConnection.quit()])));

  await app.listen({ port: config.PORT, host: config.HOST });
  // Like the workers: the topology, no eviction (jobs and webhooks would vanish), and the layout,
  // stored before any webhook can exist. Through the worker-role client, which waits for a Redis
  // that is down; a refusal stops the process, having written nothing.
  try {
    await prepareRedis(queueConnection, keys, logger);
  } catch (err) {
    await app.close();
    redis.disconnect();
    queueConnection.disconnect();
    throw err;
  }
  readiness.started();
  logger.info({ keyPrefix: keys.prefix, shards: keys.shards }, 'admin started');
  return { shutdown };
}

runMain('admin', main, { checkConfig: checkedConfig });

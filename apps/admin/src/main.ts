import { ConfigError, QUEUE_NAMES, createKeys, createLogger, createRedisClient, secretBoxFromEnv, type Logger } from '@outboundiq/core';
import { createWebhookStore } from '@outboundiq/webhook-store';
import { Queue } from 'bullmq';
import { pino } from 'pino';
import { buildApp } from './app.js';
import { loadConfig } from './config.js';
import { literalHostCheck } from './destinations.js';
import { createReadiness } from './routes/health.js';
import { createShutdown } from './shutdown.js';

/** Longer than any admin request; well inside a Kubernetes grace period. */
const SHUTDOWN_DEADLINE_MS = 10_000;

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  // Synchronous writes: with pino's default asynchronous stdout, lines still in flight at exit came
  // out of order or were lost (seen in test/main.test.ts). Nothing is left to flush at shutdown.
  const logger = createLogger({ name: 'admin', level: config.LOG_LEVEL }, pino.destination({ dest: 1, sync: true }));
  const keys = createKeys(config.KEY_PREFIX);
  const { box, usedDevKey } = secretBoxFromEnv(config.SECRETS_ENCRYPTION_KEY, config.NODE_ENV);
  if (usedDevKey) logger.warn('SECRETS_ENCRYPTION_KEY is not set: signing secrets are sealed with the public dev key (never do this in production)');

  const redis = createRedisClient({ url: config.REDIS_URL, role: 'publisher', name: 'oiq-admin', logger });
  // BullMQ wants a connection that never gives up on a command, hence a worker-role client of its own.
  const queueConnection = createRedisClient({ url: config.REDIS_URL, role: 'worker', name: 'oiq-admin-board', logger });
  const queues = [new Queue(QUEUE_NAMES.deliveries, { connection: queueConnection, prefix: keys.bullPrefix() })];
  const readiness = createReadiness();

  const app = buildApp({
    store: createWebhookStore({ redis, keys, secretBox: box }),
    redis,
    queues,
    logger,
    readiness,
    config: { adminTokens: config.ADMIN_API_TOKENS, checkHost: literalHostCheck(config.ALLOW_PRIVATE_DESTINATIONS) },
  });

  const shutdown = createShutdown(
    logger,
    [
      { name: 'readiness off', run: () => readiness.shutDown() },
      { name: 'close http server', run: () => app.close() },
      { name: 'close queues', run: () => Promise.all(queues.map((q) => q.close())) },
      { name: 'close redis', run: () => Promise.all([redis.quit(), queueConnection.quit()]) },
    ],
    SHUTDOWN_DEADLINE_MS,
  );
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => void shutdown(signal).then((code) => exit(logger, code)));
  }

  await app.listen({ port: config.PORT, host: config.HOST });
}

function exit(logger: Logger, code: number): void {
  logger.info({ code }, 'shutdown complete');
  process.exit(code);
}

main().catch((err: unknown) => {
  // The logger may not exist yet (bad configuration): a last line on stderr, then a failing exit.
  const detail = err instanceof ConfigError ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err);
  process.stderr.write(`admin failed to start: ${detail}\n`);
  process.exit(1);
});

import { QUEUE_NAMES, assertNoEviction, isDestinationBlocked, createKeys, createRedisClient, secretBoxFromEnv, type DeliveryJob, type Logger, type Resolver } from '@outboundiq/core';
import { createMetricsRegistry, createShutdown, pingWithin, senderMetrics, startHealthServer, type Shutdown } from '@outboundiq/runtime';
import { createWebhookStore } from '@outboundiq/webhook-store';
import { Worker } from 'bullmq';
import type { SenderEnvConfig } from './config.js';
import { createDeliveryProcessor } from './delivery.js';
import { createDeliveryHttp } from './http.js';
import { createWebhookLimiter } from './limiter.js';

export interface SenderApp {
  healthPort: number;
  /** Runs the shutdown steps once; resolves to the exit code. */
  stop(reason?: string): Promise<number>;
  shutdown: Shutdown;
}

/** Builds and starts the whole sender: what main.ts runs, and what tests run in-process. */
export async function startSenderApp(config: SenderEnvConfig, logger: Logger, options: { resolve?: Resolver } = {}): Promise<SenderApp> {
  const { box, usedDevKey } = secretBoxFromEnv(config.SECRETS_ENCRYPTION_KEY, config.NODE_ENV);
  if (usedDevKey) logger.warn('SECRETS_ENCRYPTION_KEY is not set: using the public development key (never in production)');
  if (config.ALLOW_PRIVATE_DESTINATIONS) logger.warn('ALLOW_PRIVATE_DESTINATIONS=true: webhooks may reach loopback and private networks (tests and demos only)');
  const keys = createKeys(config.KEY_PREFIX);
  const redis = createRedisClient({ url: config.REDIS_URL, role: 'worker', name: 'oiq-sender', logger });
  await assertNoEviction(redis, logger);

  const http = createDeliveryHttp({
    timeoutMs: config.DELIVERY_TIMEOUT_MS,
    bodyLimitBytes: config.RESPONSE_BODY_LIMIT_BYTES,
    allowPrivate: config.ALLOW_PRIVATE_DESTINATIONS,
    ...(options.resolve ? { resolve: options.resolve } : {}),
  });
  const metrics = createMetricsRegistry();
  const processor = createDeliveryProcessor({
    store: createWebhookStore({ redis, keys, secretBox: box }),
    http,
    limiter: createWebhookLimiter(config.SENDER_WEBHOOK_CONCURRENCY),
    logger,
    config: { retryDelayMs: config.RETRY_DELAY_MS, busyDelayMs: 1_000 },
    isRefusal: isDestinationBlocked,
    events: senderMetrics(metrics.registry).events,
  });
  // BullMQ's blocking worker connection must be its own; it duplicates the given one.
  const worker = new Worker<DeliveryJob>(QUEUE_NAMES.deliveries, processor, {
    connection: redis,
    prefix: keys.bullPrefix(),
    concurrency: config.SENDER_CONCURRENCY,
    lockDuration: config.SENDER_LOCK_MS,
    stalledInterval: config.SENDER_STALLED_INTERVAL_MS,
    // A crashed sender's jobs are stalled, then run again; they must never be failed for it.
    maxStalledCount: Number.MAX_SAFE_INTEGER,
    autorun: false,
  });
  worker.on('error', (err) => logger.warn({ err }, 'worker error'));
  worker.on('failed', (job, err) => {
    if (job && err.name !== 'UnrecoverableError') logger.error({ err, jobId: job.id, attemptsMade: job.attemptsMade }, 'delivery job failed');
  });

  const shutdown = createShutdown(logger, config.SHUTDOWN_TIMEOUT_MS);
  const health = await startHealthServer({
    port: config.PORT,
    logger,
    ready: async () => worker.isRunning() && !shutdown.started && (await pingWithin(redis)),
    metrics: metrics.render,
  });
  shutdown.add('stop taking jobs and finish in-flight deliveries', () => worker.close());
  shutdown.add('close http connections', () => http.close());
  shutdown.add('close redis', async () => void (await redis.quit()));
  shutdown.add('close health server', () => health.close());

  void worker.run();
  logger.info({ concurrency: config.SENDER_CONCURRENCY, perWebhook: config.SENDER_WEBHOOK_CONCURRENCY, keyPrefix: keys.prefix }, 'sender started');
  return { healthPort: health.port, stop: (reason = 'stop') => shutdown.run(reason), shutdown };
}

export { loadConfig } from './config.js';

import { QUEUE_NAMES, createKeys, createRedisClient, redisTarget, secretBoxFromEnv, type DeliveryJob, type Logger, type Resolver } from '@outboundiq/core';
import { createMetricsRegistry, createShutdown, failingWebhookMetrics, megabytes, notReady, redisReadiness, registerSenderSlotGauges, senderMetrics, startHealthThenPrepareRedis, watchMemoryPressure, type Shutdown } from '@outboundiq/runtime';
import { createDeliveryLog, createWebhookStore } from '@outboundiq/webhook-store';
import { Worker } from 'bullmq';
import type { SenderEnvConfig } from './config.js';
import { createDeliveryRecorder } from './delivery-log.js';
import { createDeliveryProcessor, type DeliveryEvents } from './delivery.js';
import { createDeliveryHttp } from './http.js';
import { createWebhookLimiter } from './limiter.js';
import { createSlots, workerConcurrency } from './slots.js';

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
  if (!config.DELIVERY_LOG_ENABLED) logger.warn('DELIVERY_LOG_ENABLED=false: no delivery log or stats are kept for customers (benchmarks only)');
  const keys = createKeys(config.KEY_PREFIX, config.SHARDS);
  const redis = createRedisClient({ ...redisTarget(config), role: 'worker', name: 'oiq-sender', logger });
  const metrics = createMetricsRegistry();
  // Served from the first second: /healthz says alive, /readyz says why not yet (Redis unreachable
  // is waited for); a process of another SHARDS or layout stops here, having written nothing.
  const health = await startHealthThenPrepareRedis({ port: config.PORT, logger, redis, keys, metrics: metrics.render });

  // Above MEMORY_SOFT_LIMIT_MB the slots let one delivery through at a time (runtime's memory-pressure.ts).
  const memory = watchMemoryPressure({ limitBytes: megabytes(config.MEMORY_SOFT_LIMIT_MB), logger, registry: metrics.registry });
  const slots = memory.gate(createSlots(config.SENDER_CONCURRENCY));
  registerSenderSlotGauges(metrics.registry, slots, config.SENDER_CONCURRENCY);
  const http = createDeliveryHttp({
    timeoutMs: config.DELIVERY_TIMEOUT_MS,
    bodyLimitBytes: config.RESPONSE_BODY_LIMIT_BYTES,
    allowPrivate: config.ALLOW_PRIVATE_DESTINATIONS,
    ...(options.resolve ? { resolve: options.resolve } : {}),
  });
  const processor = createDeliveryProcessor({
    store: createWebhookStore({ redis, keys, secretBox: box }),
    http,
    // One limiter and one set of slots for every shard's worker: the caps are per process.
    limiter: createWebhookLimiter(config.SENDER_WEBHOOK_CONCURRENCY),
    slots,
    logger,
    config: { retryDelayMs: config.RETRY_DELAY_MS, busyDelayMs: 1_000 },
    events: withFailingWebhooks(senderMetrics(metrics.registry).events, failingWebhookMetrics(metrics.registry, { maxSeries: config.METRICS_FAILING_WEBHOOKS_MAX })),
    ...(config.DELIVERY_LOG_ENABLED ? { deliveryLog: createDeliveryRecorder({ log: createDeliveryLog({ redis, keys, retention: deliveryLogRetention(config) }), logger, attemptTimeoutMs: config.DELIVERY_TIMEOUT_MS }) } : {}),
  });
  // One worker per shard's queue. Each duplicates the given connection for its blocking reads.
  const concurrency = workerConcurrency(config.SENDER_CONCURRENCY, keys.shards, config.SENDER_WEBHOOK_CONCURRENCY);
  const workers = keys.allShards().map((shard) => {
    const worker = new Worker<DeliveryJob>(QUEUE_NAMES.deliveries, processor, {
      connection: redis,
      prefix: shard.bullPrefix(),
      concurrency,
      lockDuration: config.SENDER_LOCK_MS,
      stalledInterval: config.SENDER_STALLED_INTERVAL_MS,
      // A crashed sender's jobs are stalled, then run again; they must never be failed for it.
      maxStalledCount: Number.MAX_SAFE_INTEGER,
      autorun: false,
    });
    worker.on('error', (err) => logger.warn({ err, shard: shard.shard }, 'worker error'));
    worker.on('failed', (job, err) => {
      if (job && err.name !== 'UnrecoverableError') logger.error({ err, jobId: job.id, attemptsMade: job.attemptsMade, shard: shard.shard }, 'delivery job failed');
    });
    return worker;
  });

  const shutdown = createShutdown(logger, config.SHUTDOWN_TIMEOUT_MS);
  shutdown.add('stop taking jobs and finish in-flight deliveries', async () => void (await Promise.all(workers.map((w) => w.close()))));
  shutdown.add('close http connections', () => http.close());
  shutdown.add('close redis', async () => void (await redis.quit()));
  shutdown.add('close health server', () => health.close());
  shutdown.add('stop watching memory', async () => memory.stop());

  for (const worker of workers) void worker.run();
  health.setReadiness(async () => {
    if (shutdown.started) return notReady('shutting down');
    if (!workers.every((w) => w.isRunning())) return notReady('workers not running');
    return redisReadiness(redis);
  });
  logger.info({ concurrency: config.SENDER_CONCURRENCY, perWebhook: config.SENDER_WEBHOOK_CONCURRENCY, perShardWorker: concurrency, shards: keys.shards, keyPrefix: keys.prefix }, 'sender started');
  return { healthPort: health.port, stop: (reason = 'stop') => shutdown.run(reason), shutdown };
}

function deliveryLogRetention(config: SenderEnvConfig) {
  return {
    keep: config.DELIVERY_LOG_KEEP,
    keepFailed: config.DELIVERY_LOG_KEEP_FAILED,
    retentionMs: config.DELIVERY_LOG_RETENTION_MS,
    batchRetentionMs: config.DELIVERY_LOG_BATCH_RETENTION_MS,
  };
}

/** The delivery outcome metrics, plus the bounded per-webhook failing gauge fed by the same `finished` event. */
function withFailingWebhooks(events: Required<DeliveryEvents>, failing: Pick<Required<DeliveryEvents>, 'finished'>): DeliveryEvents {
  return { attempt: events.attempt, finished: (e) => (events.finished(e), failing.finished(e)) };
}

export { loadConfig } from './config.js';

import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { DELIVERY_JOB_OPTIONS, QUEUE_NAMES, createKeys, createRedisClient, redisTarget, type DeliveryJob, type Logger } from '@outboundiq/core';
import { batcherMetrics, createMetricsRegistry, createShutdown, deadLetterMetrics, megabytes, notReady, redisReadiness, registerBacklogGauges, registerRedisMemoryGauges, startHealthThenPrepareRedis, watchMemoryPressure, type Shutdown } from '@outboundiq/runtime';
import { Queue } from 'bullmq';
import { createBatcher } from './batcher.js';
import type { BatcherEnvConfig } from './config.js';
import { createScheduler } from './scheduler.js';
import { createStreamReader } from './streams.js';
import { listenForWakeups } from './wakeups.js';

/** Shared with the admin's resends (core). */
const JOB_OPTIONS = DELIVERY_JOB_OPTIONS;

export interface BatcherApp {
  healthPort: number;
  /** Runs the shutdown steps once; resolves to the exit code. */
  stop(reason?: string): Promise<number>;
  shutdown: Shutdown;
}

/** Builds and starts the whole batcher: what main.ts runs, and what tests run in-process. */
export async function startBatcherApp(config: BatcherEnvConfig, logger: Logger): Promise<BatcherApp> {
  const keys = createKeys(config.KEY_PREFIX, config.SHARDS);
  const token = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const target = redisTarget(config);
  const client = (suffix: string) => createRedisClient({ ...target, role: 'worker', name: `oiq-batcher-${token}${suffix}`, logger });
  const redis = client('');
  const metrics = createMetricsRegistry();
  // Served from the first second: /healthz says alive, /readyz says why not yet (Redis unreachable
  // is waited for); a process of another SHARDS or layout stops here, having written nothing.
  const health = await startHealthThenPrepareRedis({ port: config.PORT, logger, redis, keys, metrics: metrics.render });

  // The queues get a connection of their own: BullMQ defines its 64 scripts on the connection it is
  // given, and ioredis copies every defined script onto each pipeline and MULTI made on it (~70 us
  // each, 5 us without), which our read pipeline and acknowledging MULTI pay once per company pass.
  const queueRedis = client('-queue');
  // One queue per shard, its keys in the shard's slot (BullMQ takes the hash tag in its prefix).
  const queues = keys.allShards().map((shard) => {
    const queue = new Queue<DeliveryJob>(QUEUE_NAMES.deliveries, { connection: queueRedis, prefix: shard.bullPrefix() });
    queue.on('error', (err) => logger.warn({ err, shard: shard.shard }, 'delivery queue error'));
    return queue;
  });
  registerBacklogGauges(metrics.registry, { queues, redis, keys });
  registerRedisMemoryGauges(metrics.registry, redis);
  const memory = watchMemoryPressure({ limitBytes: megabytes(config.MEMORY_SOFT_LIMIT_MB), logger, registry: metrics.registry });
  const batcher = createBatcher({
    redis,
    queues,
    keys,
    scheduler: createScheduler(redis, keys, { maxWaitMs: config.BATCH_MAX_WAIT_MS, leaseMs: config.BATCHER_LEASE_MS, token }),
    reader: createStreamReader(redis, keys, token),
    logger,
    jobOptions: JOB_OPTIONS,
    onBatch: batcherMetrics(metrics.registry).onBatch,
    onPoison: deadLetterMetrics(metrics.registry).onPoison,
    memory,
    queueDepth: async () => (await Promise.all(queues.map((queue) => queue.getWaitingCount()))).reduce((sum, n) => sum + n, 0),
    config: {
      maxDialsPerBatch: config.BATCH_MAX_DIALS,
      concurrency: config.BATCHER_CONCURRENCY,
      readCount: config.BATCHER_READ_COUNT,
      idleCheckMs: config.BATCHER_IDLE_CHECK_MS,
      claimRetryMs: 500,
      retryAfterMs: 1_000,
      renewEveryMs: Math.max(100, Math.floor(config.BATCHER_LEASE_MS / 3)),
      backpressureJobs: config.BATCHER_BACKPRESSURE_JOBS,
      backpressureWaitMs: config.BATCHER_BACKPRESSURE_WAIT_MS,
      deadLetterMaxLen: 10_000,
      failpointPauseBeforeAckMs: config.BATCHER_FAILPOINT_PAUSE_BEFORE_ACK_MS,
    },
  });
  // Back under the soft limit: the claim loop may take more work at once; look at every shard now.
  memory.onChange((above) => {
    if (!above) batcher.wakeAll();
  });
  const wakeups = listenForWakeups(client('-wake'), keys, logger, { wake: batcher.wake, resubscribed: batcher.wakeAll });

  const shutdown = createShutdown(logger, config.SHUTDOWN_TIMEOUT_MS);
  shutdown.add('stop claiming and finish passes', () => batcher.stop());
  shutdown.add('stop listening for wake messages', () => wakeups.close());
  shutdown.add('close queues', async () => void (await Promise.all(queues.map((queue) => queue.close()))));
  shutdown.add('close redis', async () => void (await Promise.all([redis.quit(), queueRedis.quit()])));
  shutdown.add('close health server', () => health.close());
  shutdown.add('stop watching memory', async () => memory.stop());

  if (config.BATCHER_FAILPOINT_PAUSE_BEFORE_ACK_MS !== undefined) {
    logger.warn({ pauseMs: config.BATCHER_FAILPOINT_PAUSE_BEFORE_ACK_MS }, 'test-only failpoint armed: every pass pauses before acknowledging (BATCHER_FAILPOINT_PAUSE_BEFORE_ACK_MS)');
  }
  batcher.start();
  health.setReadiness(async () => (batcher.running ? redisReadiness(redis) : notReady(shutdown.started ? 'shutting down' : 'batcher stopped')));
  logger.info(
    { token, keyPrefix: keys.prefix, shards: keys.shards, cluster: 'cluster' in target, maxWaitMs: config.BATCH_MAX_WAIT_MS, concurrency: config.BATCHER_CONCURRENCY },
    'batcher started',
  );
  return { healthPort: health.port, stop: (reason = 'stop') => shutdown.run(reason), shutdown };
}

export { loadConfig } from './config.js';

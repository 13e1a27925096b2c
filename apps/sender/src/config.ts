import { DELIVERY_DEFAULTS, DELIVERY_LOG_DEFAULTS, commonEnvShape, envBoolean, envInt, parseEnv } from '@outboundiq/core';

const shape = {
  ...commonEnvShape,
  PORT: envInt(0, 65535).default(3002),
  SENDER_CONCURRENCY: envInt(1, 10_000).default(64),
  /** Slots one webhook may hold in this process; the rest stay free for everyone else. */
  SENDER_WEBHOOK_CONCURRENCY: envInt(1, 10_000).default(8),
  DELIVERY_TIMEOUT_MS: envInt(100, 60_000).default(DELIVERY_DEFAULTS.attemptTimeoutMs),
  RETRY_DELAY_MS: envInt(0, 60_000).default(DELIVERY_DEFAULTS.retryDelayMs),
  RESPONSE_BODY_LIMIT_BYTES: envInt(0, 10 * 1024 * 1024).default(64 * 1024),
  /** Must outlive a whole delivery (2 attempts + the retry delay); BullMQ renews it meanwhile. */
  SENDER_LOCK_MS: envInt(1_000, 600_000).default(30_000),
  SENDER_STALLED_INTERVAL_MS: envInt(1_000, 600_000).default(5_000),
  /**
   * Soft limit on the process's resident memory (MiB): above it intake is held to one unit of work
   * at a time until memory falls (runtime's memory-pressure.ts). Set it below the container's limit.
   */
  MEMORY_SOFT_LIMIT_MB: envInt(1, 1_000_000).optional(),
  SHUTDOWN_TIMEOUT_MS: envInt(1_000, 600_000).default(25_000),
  // The customer's delivery log (CONTRACT 3.1): the contract's retention by default and at most
  // ("kept ... and never more"); shorter in tests.
  DELIVERY_LOG_KEEP: envInt(1, DELIVERY_LOG_DEFAULTS.keep).default(DELIVERY_LOG_DEFAULTS.keep),
  DELIVERY_LOG_KEEP_FAILED: envInt(1, DELIVERY_LOG_DEFAULTS.keepFailed).default(DELIVERY_LOG_DEFAULTS.keepFailed),
  DELIVERY_LOG_RETENTION_MS: envInt(1_000, DELIVERY_LOG_DEFAULTS.retentionMs).default(DELIVERY_LOG_DEFAULTS.retentionMs),
  DELIVERY_LOG_BATCH_RETENTION_MS: envInt(1_000, DELIVERY_LOG_DEFAULTS.batchRetentionMs).default(DELIVERY_LOG_DEFAULTS.batchRetentionMs),
  /** Benchmark only: false measures the pipeline without the log; refused with NODE_ENV=production. */
  DELIVERY_LOG_ENABLED: envBoolean.default(true),
  /** Webhooks this process shows in oiq_webhook_failing{company, webhook} at most (runtime's failing-webhooks.ts). */
  METRICS_FAILING_WEBHOOKS_MAX: envInt(0, 10_000).default(200),
};

export type SenderEnvConfig = ReturnType<typeof loadConfig>;

/** The sender's configuration from the environment; a bad value throws naming the variable. */
export function loadConfig(env: NodeJS.ProcessEnv) {
  const config = parseEnv(shape, env);
  const wholeDelivery = 2 * config.DELIVERY_TIMEOUT_MS + config.RETRY_DELAY_MS;
  if (config.SENDER_LOCK_MS <= wholeDelivery) {
    throw new Error(`invalid configuration: SENDER_LOCK_MS must be longer than a whole delivery (${wholeDelivery} ms)`);
  }
  if (!config.DELIVERY_LOG_ENABLED && config.NODE_ENV === 'production') {
    throw new Error('invalid configuration: DELIVERY_LOG_ENABLED cannot be false when NODE_ENV=production (customers are promised their delivery log)');
  }
  return config;
}

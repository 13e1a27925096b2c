import { DELIVERY_DEFAULTS, commonEnvShape, envInt, parseEnv } from '@outboundiq/core';

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
  return config;
}

import { DELIVERY_DEFAULTS, commonEnvShape, envInt, parseEnv } from '@outboundiq/core';

const shape = {
  ...commonEnvShape,
  PORT: envInt(0, 65535).default(3001),
  BATCH_MAX_DIALS: envInt(1, DELIVERY_DEFAULTS.maxDialsPerBatch).default(DELIVERY_DEFAULTS.maxDialsPerBatch),
  BATCH_MAX_WAIT_MS: envInt(0, 10_000).default(10),
  BATCHER_CONCURRENCY: envInt(1, 10_000).default(256),
  BATCHER_READ_COUNT: envInt(1, 1_000).default(100),
  BATCHER_LEASE_MS: envInt(500, 300_000).default(5_000),
  /**
   * The longest a shard goes without a claim call. A batcher is woken by a message when an empty
   * shard gets work, so this is only the safety net for a lost message; idle, a batcher makes
   * SHARDS claim calls per period.
   */
  BATCHER_IDLE_CHECK_MS: envInt(10, 60_000).default(1_000),
  /** Waiting delivery jobs above which the senders count as behind... */
  BATCHER_BACKPRESSURE_JOBS: envInt(1, 10_000_000).default(200),
  /** ...and companies then wait this long for batch-mates, so jobs stay few and full. */
  BATCHER_BACKPRESSURE_WAIT_MS: envInt(0, 60_000).default(10_000),
  /**
   * Soft limit on the process's resident memory (MiB): above it intake is held to one unit of work
   * at a time until memory falls (runtime's memory-pressure.ts). Set it below the container's limit.
   */
  MEMORY_SOFT_LIMIT_MB: envInt(1, 1_000_000).optional(),
  SHUTDOWN_TIMEOUT_MS: envInt(1_000, 600_000).default(25_000),
  /**
   * Test only (refused with NODE_ENV=production, as every `*_FAILPOINT_*` is): each pass waits this
   * long after adding its delivery jobs and before acknowledging, so the fault suite can SIGKILL a
   * batcher exactly between the two.
   */
  BATCHER_FAILPOINT_PAUSE_BEFORE_ACK_MS: envInt(1, 600_000).optional(),
};

export type BatcherEnvConfig = ReturnType<typeof loadConfig>;

/** The batcher's configuration from the environment; a bad value throws naming the variable. */
export function loadConfig(env: NodeJS.ProcessEnv) {
  return parseEnv(shape, env);
}

import type { Logger } from '@outboundiq/core';

export interface BackpressureSettings {
  /** Delivery jobs waiting for a sender, over every shard's queue. */
  queueDepth: () => Promise<number>;
  /** Waiting jobs above which the senders count as behind. */
  thresholdJobs: number;
  /** How long companies wait for batch-mates while they are. */
  waitMs: number;
  sampleEveryMs: number;
  logger: Logger;
  /** The senders fell behind or caught up. */
  onChange?: (behind: boolean) => void;
}

export interface Backpressure {
  /** The wait to claim with: undefined for the configured one. */
  maxWaitMs(): number | undefined;
  /**
   * This batcher just added `jobs` delivery jobs: counted into the depth until the next sample, so
   * a burst of rounds between two samples cannot bury the senders before the batcher notices. The
   * samples decide when the threshold is crossed; jobs counted here alone make the senders behind
   * only past twice the threshold (a burst, not the ordinary traffic of a sample period).
   */
  added(jobs: number): void;
  stop(): void;
}

/**
 * While the senders are behind, draining the streams faster only turns the backlog into many small
 * delivery jobs (with 1,000 companies x 3 webhooks batches fell to ~2 dials and throughput
 * collapsed). Waiting longer before claiming keeps the backlog in the streams, where it packs into
 * full batches, so the senders catch up on fewer, bigger jobs. The senders' capacity is one pool
 * that serves every shard's queue, so "behind" is judged on the total, not per shard.
 */
export function watchBackpressure(settings: BackpressureSettings): Backpressure {
  const { logger } = settings;
  let behind = false;
  // Jobs this batcher added since the sample in flight was taken.
  let addedSinceSample = 0;
  let sampling = false;
  const judge = (depth: number) => {
    const now = depth > settings.thresholdJobs;
    if (now === behind) return;
    behind = now;
    logger.info({ waitingJobs: depth }, behind ? 'senders are behind: batching longer' : 'senders caught up: batching as usual');
    settings.onChange?.(behind);
  };
  let lastDepth = 0;
  const sample = () => {
    if (sampling) return;
    sampling = true;
    addedSinceSample = 0;
    settings.queueDepth().then(
      (depth) => {
        sampling = false;
        lastDepth = depth;
        judge(depth + addedSinceSample);
      },
      (err: unknown) => {
        sampling = false;
        logger.warn({ err }, 'reading the delivery queue depth failed');
      },
    );
  };
  const timer = setInterval(sample, settings.sampleEveryMs);
  timer.unref();
  return {
    maxWaitMs: () => (behind ? settings.waitMs : undefined),
    added(jobs) {
      addedSinceSample += jobs;
      if (!behind && lastDepth + addedSinceSample > 2 * settings.thresholdJobs) judge(lastDepth + addedSinceSample);
    },
    stop: () => clearInterval(timer),
  };
}

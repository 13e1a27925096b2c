import {
  BATCHER_GROUP,
  JOB_NAMES,
  deriveDeliveryId,
  type DeliveryJob,
  type Keys,
  type Logger,
  type Redis,
} from '@outboundiq/core';
import { enabledWebhookIds } from '@outboundiq/webhook-store';
import type { JobsOptions, Queue } from 'bullmq';
import { packEntries, type PoisonEntry, type StreamEntry } from './packing.js';
import type { Claim, Scheduler } from './scheduler.js';
import type { StreamReader } from './streams.js';

export interface BatcherConfig {
  maxDialsPerBatch: number;
  /** Companies worked on at once by this process. */
  concurrency: number;
  /** Stream entries read per pass (each holds up to a batch of dials). */
  readCount: number;
  /** Passes over one company before its claim is released, so busy companies take turns. */
  passesPerClaim: number;
  /** Longest idle sleep between claims. */
  pollMs: number;
  /** How long a failed pass waits before its entries are tried again. */
  retryAfterMs: number;
  /** How often the claims in hand are extended (well under the lease). */
  renewEveryMs: number;
  /** Delivery jobs waiting above which the senders count as behind. */
  backpressureJobs: number;
  /** How long companies wait for batch-mates while the senders are behind. */
  backpressureWaitMs: number;
  deadLetterMaxLen: number;
  /** Test only (BATCHER_FAILPOINT_PAUSE_BEFORE_ACK_MS): each pass waits this long between adding its jobs and acknowledging. */
  failpointPauseBeforeAckMs?: number;
}

export interface BatcherDeps {
  redis: Redis;
  queue: Queue<DeliveryJob>;
  keys: Keys;
  scheduler: Scheduler;
  reader: StreamReader;
  logger: Logger;
  config: BatcherConfig;
  jobOptions: JobsOptions;
  /** Delivery jobs waiting for a sender (BullMQ's wait list). */
  queueDepth: () => Promise<number>;
  /** Observes each flushed batch (metrics). */
  onBatch?: (batch: { dials: number; webhooks: number }) => void;
}

export interface Batcher {
  start(): void;
  /** Stops claiming, lets claimed companies finish their pass, resolves when idle. */
  stop(): Promise<void>;
  readonly running: boolean;
}

export function createBatcher(deps: BatcherDeps): Batcher {
  const { scheduler, logger, config } = deps;
  const inFlight = new Set<Promise<void>>();
  const held = new Set<string>();
  let stopping = false;
  let loop: Promise<void> | undefined;
  let wake: (() => void) | undefined;

  const runClaim = (claim: Claim) => {
    held.add(claim.companySlug);
    const work = processClaim(deps, claim).finally(() => {
      held.delete(claim.companySlug);
      inFlight.delete(work);
      wake?.();
    });
    inFlight.add(work);
  };

  // A slow pass (a busy machine, a Redis hiccup) must not let the claim run out under a live
  // batcher: another would recover the same entries, and a batch whose jobs were already done and
  // removed would be delivered twice. Only a dead batcher's claims run out.
  const renewTimer = setInterval(() => {
    scheduler.renew([...held]).catch((err: unknown) => logger.warn({ err }, 'renewing claims failed'));
  }, config.renewEveryMs);
  renewTimer.unref();

  // Backpressure: while the senders are behind, draining the streams faster only turns the backlog
  // into many small delivery jobs (with 1,000 companies x 3 webhooks batches fell to ~2 dials and
  // throughput collapsed). Waiting longer before claiming keeps the backlog in the streams, where
  // it packs into full batches, so the senders catch up on fewer, bigger jobs.
  let maxWaitMs: number | undefined;
  const sampleDepth = () => {
    deps.queueDepth().then(
      (depth) => {
        const behind = depth > config.backpressureJobs;
        if (behind !== (maxWaitMs !== undefined)) logger.info({ waitingJobs: depth }, behind ? 'senders are behind: batching longer' : 'senders caught up: batching as usual');
        maxWaitMs = behind ? config.backpressureWaitMs : undefined;
      },
      (err: unknown) => logger.warn({ err }, 'reading the delivery queue depth failed'),
    );
  };
  const depthTimer = setInterval(sampleDepth, 250);
  depthTimer.unref();

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    }).finally(() => (wake = undefined));

  const claimLoop = async () => {
    while (!stopping) {
      const room = config.concurrency - inFlight.size;
      if (room <= 0) {
        await sleep(config.pollMs);
        continue;
      }
      try {
        const { claims, waitMs } = await scheduler.claim(room, maxWaitMs);
        claims.forEach(runClaim);
        if (claims.length === 0) await sleep(waitMs < 0 ? config.pollMs : Math.min(Math.max(waitMs, 1), config.pollMs));
      } catch (err) {
        logger.error({ err }, 'claiming companies failed; trying again');
        await sleep(500);
      }
    }
  };

  return {
    start() {
      loop ??= claimLoop();
    },
    async stop() {
      stopping = true;
      wake?.();
      await loop;
      await Promise.allSettled([...inFlight]);
      clearInterval(renewTimer);
      clearInterval(depthTimer);
    },
    get running() {
      return loop !== undefined && !stopping;
    },
  };
}

/** Works on one claimed company for a few passes, then gives the claim back. */
async function processClaim(deps: BatcherDeps, claim: Claim): Promise<void> {
  const { scheduler, reader, logger, config } = deps;
  const company = claim.companySlug;
  try {
    let recovering = claim.kind === 'recover';
    for (let pass = 0; pass < config.passesPerClaim; pass++) {
      const read = recovering
        ? await reader.reclaim(company, config.readCount)
        : await reader.readNew(company, config.readCount);
      if (!read.owned) {
        logger.warn({ companySlug: company }, 'claim lost to another batcher (Redis was away longer than the lease); leaving the company to it');
        return;
      }
      if (recovering) {
        recovering = false;
        if (read.entries.length > 0) logger.info({ companySlug: company, entries: read.entries.length }, 'recovered entries a stopped batcher left pending');
        else continue;
      } else if (read.entries.length === 0) break;
      await flushPass(deps, company, read.entries, enabledWebhookIds(read.webhookRecords));
      if (read.entries.length < config.readCount) break;
    }
    await scheduler.release(company);
  } catch (err) {
    logger.error({ err, companySlug: company }, 'batching a company failed; its pending dials will be recovered');
    await scheduler.release(company, config.retryAfterMs).catch((releaseErr: unknown) => {
      logger.error({ err: releaseErr, companySlug: company }, 'releasing the claim failed; it will run out by itself');
    });
  }
}

/**
 * One pass: pack the entries into batches, add one delivery job per batch and enabled webhook
 * (job id = deliveryId, derived from the batch, so adding again after a crash is a no-op), then,
 * and only then, dead-letter the poison and acknowledge, atomically.
 */
async function flushPass(deps: BatcherDeps, company: string, entries: StreamEntry[], webhookIds: string[]): Promise<void> {
  const { queue, keys, config, logger } = deps;
  const { batches, poison } = packEntries(company, entries, config.maxDialsPerBatch);
  const jobs = batches.flatMap((batch) =>
    webhookIds.map((webhookId) => {
      const deliveryId = deriveDeliveryId([keys.prefix, company, webhookId, batch.firstKey, batch.lastKey]);
      const data: DeliveryJob = {
        v: 1,
        companySlug: company,
        webhookId,
        deliveryId,
        dials: batch.dialsJson,
        dialCount: batch.count,
        firstPublishedAt: batch.firstPublishedAt,
      };
      return { name: JOB_NAMES.deliver, data, opts: { ...deps.jobOptions, jobId: deliveryId } };
    }),
  );
  if (jobs.length > 0) await queue.addBulk(jobs);
  if (config.failpointPauseBeforeAckMs !== undefined) {
    // The window a crash must not lose anything in: jobs added, entries still pending.
    logger.warn({ companySlug: company, entries: entries.length, jobs: jobs.length, pauseMs: config.failpointPauseBeforeAckMs }, 'failpoint: pass paused before acknowledging');
    await new Promise<void>((resolve) => setTimeout(resolve, config.failpointPauseBeforeAckMs));
  }
  for (const p of poison) logger.warn({ companySlug: company, entryId: p.entryId, reason: p.reason }, 'poison stream entry moved to the dead-letter stream');
  await acknowledge(deps, company, entries.map((e) => e.id), poison);
  for (const batch of batches) deps.onBatch?.({ dials: batch.count, webhooks: webhookIds.length });
}

async function acknowledge(deps: BatcherDeps, company: string, ids: string[], poison: PoisonEntry[]): Promise<void> {
  const { redis, keys, config } = deps;
  const tx = redis.multi();
  for (const p of poison) {
    tx.xadd(keys.deadLetters(company), 'MAXLEN', '~', config.deadLetterMaxLen, '*', 'entryId', p.entryId, 'reason', p.reason, 'raw', p.raw, 'at', new Date().toISOString());
  }
  tx.xack(keys.dials(company), BATCHER_GROUP, ...ids);
  tx.xdel(keys.dials(company), ...ids);
  const replies = await tx.exec();
  if (replies === null) throw new Error('acknowledging a pass: the transaction was discarded');
  const failed = replies.find(([err]) => err !== null);
  if (failed) throw failed[0] as Error;
}

import { BATCHER_GROUP, JOB_NAMES, deriveDeliveryId, type DeliveryJob, type Keys, type Logger, type RedisClient } from '@outboundiq/core';
import { enabledWebhookIds } from '@outboundiq/webhook-store';
import type { JobsOptions, Queue } from 'bullmq';
import { packEntries, type PoisonEntry, type StreamEntry } from './packing.js';
import type { Claim, ReleaseOutcome, Scheduler } from './scheduler.js';
import type { StreamReader } from './streams.js';

export interface PassSettings {
  maxDialsPerBatch: number;
  /** Stream entries read per pass (each holds up to a batch of dials). */
  readCount: number;
  /** Passes over one company before its claim is released, so busy companies take turns. */
  passesPerClaim: number;
  /** How long a failed pass waits before its entries are tried again. */
  retryAfterMs: number;
  deadLetterMaxLen: number;
  /** Test only (BATCHER_FAILPOINT_PAUSE_BEFORE_ACK_MS): each pass waits this long between adding its jobs and acknowledging. */
  failpointPauseBeforeAckMs?: number;
}

export interface PassDeps {
  redis: RedisClient;
  /** The delivery queue of every shard, in shard order: a company's jobs go to its shard's queue. */
  queues: readonly Queue<DeliveryJob>[];
  keys: Keys;
  scheduler: Scheduler;
  reader: StreamReader;
  logger: Logger;
  config: PassSettings;
  jobOptions: JobsOptions;
  /** Observes each flushed batch (metrics). */
  onBatch?: (batch: { dials: number; webhooks: number }) => void;
  /** Counts the poison entries each pass dead-lettered (metrics). */
  onPoison?: (count: number) => void;
}

/**
 * Works on one claimed company for a few passes, then gives the claim back. Resolves to how the
 * release ended (undefined when the claim was lost or the release failed); never rejects.
 */
export async function processClaim(deps: PassDeps, claim: Claim): Promise<ReleaseOutcome | undefined> {
  const { scheduler, reader, logger, config } = deps;
  const company = claim.companySlug;
  try {
    let recovering = claim.kind === 'recover';
    for (let pass = 0; pass < config.passesPerClaim; pass++) {
      const read = recovering ? await reader.reclaim(company, config.readCount) : await reader.readNew(company, config.readCount);
      if (!read.owned) {
        logger.warn({ companySlug: company }, 'claim lost to another batcher (Redis was away longer than the lease); leaving the company to it');
        return undefined;
      }
      if (recovering) {
        recovering = false;
        if (read.entries.length > 0) logger.info({ companySlug: company, entries: read.entries.length }, 'recovered entries a stopped batcher left pending');
        else continue;
      } else if (read.entries.length === 0) break;
      await flushPass(deps, company, read.entries, enabledWebhookIds(read.webhookRecords));
      if (read.entries.length < config.readCount) break;
    }
    return await scheduler.release(company);
  } catch (err) {
    logger.error({ err, companySlug: company }, 'batching a company failed; its pending dials will be recovered');
    await scheduler.release(company, config.retryAfterMs).catch((releaseErr: unknown) => {
      logger.error({ err: releaseErr, companySlug: company }, 'releasing the claim failed; it will run out by itself');
    });
    return undefined;
  }
}

/**
 * One pass: pack the entries into batches, add one delivery job per batch and enabled webhook to
 * the company's shard's queue (job id = deliveryId, derived from the batch, so adding again after a
 * crash is a no-op), then, and only then, dead-letter the poison and acknowledge, atomically.
 */
async function flushPass(deps: PassDeps, company: string, entries: StreamEntry[], webhookIds: string[]): Promise<void> {
  const { keys, config, logger } = deps;
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
  // One queue, one slot: the shard's queue shares the company stream's slot, so on a cluster the
  // jobs and the entries they come from fail over together.
  const queue = deps.queues[keys.shardOf(company)];
  if (queue === undefined) throw new Error(`no delivery queue for shard ${keys.shardOf(company)} of ${keys.shards}`);
  if (jobs.length > 0) await queue.addBulk(jobs);
  if (config.failpointPauseBeforeAckMs !== undefined) {
    // The window a crash must not lose anything in: jobs added, entries still pending.
    logger.warn({ companySlug: company, entries: entries.length, jobs: jobs.length, pauseMs: config.failpointPauseBeforeAckMs }, 'failpoint: pass paused before acknowledging');
    await new Promise<void>((resolve) => setTimeout(resolve, config.failpointPauseBeforeAckMs));
  }
  for (const p of poison) logger.warn({ companySlug: company, entryId: p.entryId, reason: p.reason }, 'poison stream entry moved to the dead-letter stream');
  await acknowledge(deps, company, entries.map((e) => e.id), poison);
  for (const batch of batches) deps.onBatch?.({ dials: batch.count, webhooks: webhookIds.length });
  if (poison.length > 0) deps.onPoison?.(poison.length);
}

/** Dead letters and the ack in one MULTI: both keys carry the company's shard tag, so one slot. */
async function acknowledge(deps: PassDeps, company: string, ids: string[], poison: PoisonEntry[]): Promise<void> {
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

import { JOB_NAMES, deriveDeliveryId, type DeliveryJob, type Keys, type Logger, type RedisClient } from '@outboundiq/core';
import { enabledWebhookIds } from '@outboundiq/webhook-store';
import type { JobsOptions, Queue } from 'bullmq';
import { packEntries } from './packing.js';
import type { Claim, ReleaseOutcome, RoundAck, Scheduler } from './scheduler.js';
import type { StreamReader } from './streams.js';

export interface PassSettings {
  maxDialsPerBatch: number;
  /** Stream entries read per company and round (each holds up to a batch of dials). */
  readCount: number;
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
  /** A round's jobs are in the queue (before it acknowledges): backpressure counts them at once. */
  onJobsAdded?: (jobs: number) => void;
}

export interface RoundResult {
  /** Each company's release outcome: undefined when its claim was lost or the round failed. */
  outcomes: Map<string, ReleaseOutcome | undefined>;
  /** Delivery jobs the round added (0 when it failed before adding). */
  jobs: number;
}

/**
 * One round over the companies of one claim call (all of one shard): one read call for all of them,
 * their batches packed company by company, every delivery job in one `addBulk` to the shard's queue
 * (job id = deliveryId, derived from the batch, so adding again after a crash is a no-op), then, and
 * only then, one call that dead-letters the poison, acknowledges and releases every company. So a
 * round costs four round trips (claim, read, add, finish) however many companies it holds.
 * Resolves to each company's release outcome (undefined when the claim was lost or the round failed:
 * then the claims are kept to run out, and the next claim recovers the pending entries); never rejects.
 */
export async function processRound(deps: PassDeps, shard: number, claims: readonly Claim[]): Promise<RoundResult> {
  const { scheduler, reader, logger, config, keys } = deps;
  const outcomes = new Map<string, ReleaseOutcome | undefined>();
  let working: string[] = [];
  let added = 0;
  try {
    const reads = await reader.readRound(shard, claims.map((c) => ({ companySlug: c.companySlug, recover: c.kind === 'recover' })), config.readCount);
    const jobs: { name: string; data: DeliveryJob; opts: JobsOptions }[] = [];
    const acks: RoundAck[] = [];
    const flushed: { dials: number; webhooks: number }[] = [];
    for (const read of reads) {
      const company = read.companySlug;
      if (!read.owned) {
        logger.warn({ companySlug: company }, 'claim lost to another batcher (Redis was away longer than the lease); leaving the company to it');
        outcomes.set(company, undefined);
        continue;
      }
      if (read.recovered) logger.info({ companySlug: company, entries: read.entries.length }, 'recovered entries a stopped batcher left pending');
      working.push(company);
      const webhookIds = enabledWebhookIds(read.webhookRecords);
      const { batches, poison } = packEntries(company, read.entries, config.maxDialsPerBatch);
      for (const batch of batches) {
        for (const webhookId of webhookIds) {
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
          jobs.push({ name: JOB_NAMES.deliver, data, opts: { ...deps.jobOptions, jobId: deliveryId } });
        }
        flushed.push({ dials: batch.count, webhooks: webhookIds.length });
      }
      acks.push({ companySlug: company, entryIds: read.entries.map((e) => e.id), poison });
    }
    // One queue, one slot: the shard's queue shares its companies' streams' slot, so on a cluster
    // the jobs and the entries they come from fail over together.
    const queue = deps.queues[shard];
    if (queue === undefined) throw new Error(`no delivery queue for shard ${shard} of ${keys.shards}`);
    if (jobs.length > 0) await queue.addBulk(jobs);
    added = jobs.length;
    deps.onJobsAdded?.(added);
    if (config.failpointPauseBeforeAckMs !== undefined && acks.length > 0) {
      // The window a crash must not lose anything in: jobs added, entries still pending.
      for (const a of acks) {
        logger.warn({ companySlug: a.companySlug, entries: a.entryIds.length, jobs: jobs.filter((j) => j.data.companySlug === a.companySlug).length, pauseMs: config.failpointPauseBeforeAckMs }, 'failpoint: pass paused before acknowledging');
      }
      await new Promise<void>((resolve) => setTimeout(resolve, config.failpointPauseBeforeAckMs));
    }
    for (const a of acks) {
      for (const p of a.poison) logger.warn({ companySlug: a.companySlug, entryId: p.entryId, reason: p.reason }, 'poison stream entry moved to the dead-letter stream');
    }
    const released = await scheduler.finishRound(shard, acks, config.deadLetterMaxLen);
    acks.forEach((a, i) => outcomes.set(a.companySlug, released[i]));
    working = [];
    for (const batch of flushed) deps.onBatch?.(batch);
    const poisoned = acks.reduce((sum, a) => sum + a.poison.length, 0);
    if (poisoned > 0) deps.onPoison?.(poisoned);
    return { outcomes, jobs: added };
  } catch (err) {
    const failed = working.length > 0 ? working : claims.map((c) => c.companySlug);
    logger.error({ err, shard, companies: failed.length }, 'batching a round of companies failed; their pending dials will be recovered');
    await Promise.all(
      failed.map(async (company) => {
        outcomes.set(company, undefined);
        await scheduler.release(company, config.retryAfterMs).catch((releaseErr: unknown) => {
          logger.error({ err: releaseErr, companySlug: company }, 'releasing the claim failed; it will run out by itself');
        });
      }),
    );
    return { outcomes, jobs: added };
  }
}

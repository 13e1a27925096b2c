import {
  DELIVERY_LOG_DEFAULTS,
  DELIVERY_STATUSES,
  type Delivery,
  type DeliveryAttempt,
  type DeliveryJob,
  type DeliveryStats,
  type DeliveryStatus,
  type Keys,
  type RedisClient,
} from '@outboundiq/core';
import { promisify } from 'node:util';
import { deflateRaw, inflateRaw } from 'node:zlib';
import { CLAIM_RESEND_SCRIPT, MARK_RESENT_SCRIPT, RECORD_SCRIPT } from './delivery-log-scripts.js';

// A kept batch is compressed: dials JSON shrinks several times, and up to 500 batches of 100 dials
// are kept per webhook (the bench prints the bytes). Only failed deliveries pay for it.
const deflate = promisify(deflateRaw);
const inflate = promisify(inflateRaw);

export interface DeliveryLogRetention {
  keep: number;
  keepFailed: number;
  retentionMs: number;
  batchRetentionMs: number;
  maxAttempts: number;
}

export interface DeliveryLogDeps {
  redis: RedisClient;
  keys: Keys;
  /** The writer's retention (the sender's DELIVERY_LOG_*); readers need none. Default: the contract's. */
  retention?: Partial<DeliveryLogRetention>;
  now?: () => number;
}

/** One outcome of a delivery job, as the sender records it. */
export interface DeliveryOutcome {
  job: Pick<DeliveryJob, 'companySlug' | 'webhookId' | 'deliveryId' | 'dialCount' | 'firstPublishedAt' | 'dials'>;
  status: DeliveryStatus;
  attempts: readonly DeliveryAttempt[];
  /** When the delivery job was made (ms). */
  createdAt: number;
}

export interface DeliveryPage {
  deliveries: Delivery[];
  nextCursor: string | null;
}

export type ResendClaim =
  | { kind: 'not_found' | 'not_failed' | 'gone' }
  | { kind: 'ok'; job: DeliveryJob; finishedAt: number };

/** A cursor that is not one of ours: the route answers 400 naming `cursor`. */
export class InvalidCursorError extends Error {
  constructor() {
    super('is not a cursor given by this list');
    this.name = 'InvalidCursorError';
  }
}

const HOUR_MS = 3_600_000;
/** Counters outlive the 24 hours they are read for by one hour. */
const STATS_TTL_MS = 25 * HOUR_MS;
const DELIVERY_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

type LogClient = RedisClient & {
  oiqDeliveryRecord(...args: (string | number | Buffer)[]): Promise<number>;
  oiqDeliveryClaimResendBuffer(record: string, batch: string, now: number): Promise<Buffer[]>;
  /** numkeys, the records, now. */
  oiqDeliveryMarkResent(...args: (string | number)[]): Promise<number>;
};

export type DeliveryLog = ReturnType<typeof createDeliveryLog>;

/**
 * One webhook's delivery log in Redis (CONTRACT 3.1): records, the batches of failed deliveries,
 * hourly counters. Everything of a webhook sits in its company's slot, so each write is one script.
 */
export function createDeliveryLog(deps: DeliveryLogDeps) {
  const { keys } = deps;
  const retention: DeliveryLogRetention = { ...DELIVERY_LOG_DEFAULTS, ...deps.retention };
  const now = deps.now ?? Date.now;
  const redis = deps.redis as LogClient;
  if (typeof redis.oiqDeliveryRecord !== 'function') {
    redis.defineCommand('oiqDeliveryRecord', { numberOfKeys: 5, lua: RECORD_SCRIPT });
    redis.defineCommand('oiqDeliveryClaimResend', { numberOfKeys: 2, lua: CLAIM_RESEND_SCRIPT });
    redis.defineCommand('oiqDeliveryMarkResent', { lua: MARK_RESENT_SCRIPT });
  }

  /** The records of these ids (missing ones: expired or trimmed meanwhile, left out). */
  async function load(company: string, webhookId: string, ids: readonly string[]): Promise<Delivery[]> {
    if (ids.length === 0) return [];
    const k = keys.deliveryLog(company, webhookId);
    const pipeline = redis.pipeline();
    for (const id of ids) pipeline.hgetall(k.record(id)).exists(k.batch(id));
    const results = (await pipeline.exec()) ?? [];
    const out: Delivery[] = [];
    ids.forEach((id, i) => {
      const [recErr, fields] = results[2 * i] ?? [new Error('no answer')];
      const [batchErr, batchExists] = results[2 * i + 1] ?? [new Error('no answer')];
      if (recErr) throw recErr;
      if (batchErr) throw batchErr;
      const delivery = toDelivery(id, webhookId, fields as Record<string, string>, batchExists === 1);
      if (delivery) out.push(delivery);
    });
    return out;
  }

  return {
    retention,

    /** Writes one outcome (the sender, as part of the delivery). */
    async record(outcome: DeliveryOutcome): Promise<void> {
      const { job } = outcome;
      const k = keys.deliveryLog(job.companySlug, job.webhookId);
      const at = now();
      await redis.oiqDeliveryRecord(
        k.record(job.deliveryId), k.batch(job.deliveryId), k.all(), k.failed(), k.statsHour(Math.floor(at / HOUR_MS)),
        job.deliveryId, outcome.status, JSON.stringify(outcome.attempts), job.dialCount, job.firstPublishedAt, outcome.createdAt, at,
        outcome.status === 'failed' ? await deflate(Buffer.from(job.dials)) : '',
        retention.keep, retention.keepFailed, retention.retentionMs, retention.batchRetentionMs, STATS_TTL_MS, k.recordPrefix(), retention.maxAttempts,
      );
    },

    async get(company: string, webhookId: string, deliveryId: string): Promise<Delivery | null> {
      if (!DELIVERY_ID.test(deliveryId)) return null;
      const [delivery] = await load(company, webhookId, [deliveryId]);
      return delivery ?? null;
    },

    /** Newest first (by latest outcome); `cursor` from the previous page's nextCursor. */
    async list(company: string, webhookId: string, options: { status?: DeliveryStatus; limit: number; cursor?: string }): Promise<DeliveryPage> {
      const after = options.cursor === undefined ? undefined : decodeCursor(options.cursor);
      const k = keys.deliveryLog(company, webhookId);
      // Failed ones may be kept past the latest `keep` of any status: the unfiltered list is both sets.
      const sets = options.status === 'failed' ? [k.failed()] : options.status === undefined ? [k.all(), k.failed()] : [k.all()];
      const pipeline = redis.pipeline();
      for (const set of sets) pipeline.zrevrange(set, 0, -1, 'WITHSCORES');
      const results = (await pipeline.exec()) ?? [];
      const scores = new Map<string, number>();
      for (const [err, flat] of results) {
        if (err) throw err;
        const list = flat as string[];
        for (let i = 0; i < list.length; i += 2) scores.set(list[i]!, Number(list[i + 1]));
      }
      const candidates = [...scores.entries()]
        .sort(([a, sa], [b, sb]) => sb - sa || (a < b ? 1 : a > b ? -1 : 0))
        .filter(([id, score]) => after === undefined || score < after.score || (score === after.score && id < after.id));
      const page: Delivery[] = [];
      let more = false;
      // Read in chunks until the page and one more are found: a filter may skip many.
      for (let i = 0; i < candidates.length && !more; i += options.limit + 1) {
        const chunk = candidates.slice(i, i + options.limit + 1).map(([id]) => id);
        for (const delivery of await load(company, webhookId, chunk)) {
          if (options.status !== undefined && delivery.status !== options.status) continue;
          if (page.length === options.limit) {
            more = true;
            break;
          }
          page.push(delivery);
        }
      }
      const last = page.at(-1);
      const nextCursor = more && last ? encodeCursor(scores.get(last.deliveryId)!, last.deliveryId) : null;
      return { deliveries: page, nextCursor };
    },

    /**
     * Marks resends as asked for (`resentAt`), once their jobs are queued: a resend that could not
     * be queued leaves no mark. One call for any number of one webhook's deliveries (one slot).
     */
    async markResent(company: string, webhookId: string, deliveryIds: readonly string[]): Promise<void> {
      if (deliveryIds.length === 0) return;
      const k = keys.deliveryLog(company, webhookId);
      await redis.oiqDeliveryMarkResent(deliveryIds.length, ...deliveryIds.map((id) => k.record(id)), now());
    },

    /** Checks a resend (found, failed, batch kept) and gives the job to enqueue; markResent once it is queued. */
    async claimResend(company: string, webhookId: string, deliveryId: string): Promise<ResendClaim> {
      if (!DELIVERY_ID.test(deliveryId)) return { kind: 'not_found' };
      const k = keys.deliveryLog(company, webhookId);
      const answer = await redis.oiqDeliveryClaimResendBuffer(k.record(deliveryId), k.batch(deliveryId), now());
      const [kind, dials, dialCount, firstPublishedAt, finishedAt] = answer.map((b, i) => (i === 1 ? b : b.toString()));
      if (kind !== 'ok') return { kind: String(kind) as 'not_found' | 'not_failed' | 'gone' };
      return {
        kind: 'ok',
        finishedAt: Number(finishedAt),
        job: {
          v: 1, companySlug: company, webhookId, deliveryId,
          dials: (await inflate(dials as Buffer)).toString(),
          dialCount: Number(dialCount), firstPublishedAt: Number(firstPublishedAt),
        },
      };
    },

    /** Ids of the kept failed deliveries whose latest outcome is at or after `since` (ms), oldest first. */
    async failedSince(company: string, webhookId: string, since: number): Promise<string[]> {
      return redis.zrangebyscore(keys.deliveryLog(company, webhookId).failed(), since, '+inf');
    },

    /** The last 24 hours from the hourly counters (the current hour is the last entry). */
    async stats(company: string, webhookId: string): Promise<DeliveryStats> {
      const k = keys.deliveryLog(company, webhookId);
      const current = Math.floor(now() / HOUR_MS);
      const hours = Array.from({ length: 24 }, (_, i) => current - 23 + i);
      const pipeline = redis.pipeline();
      for (const hour of hours) pipeline.hgetall(k.statsHour(hour));
      const results = (await pipeline.exec()) ?? [];
      const last24h = { delivered: 0, failed: 0, refused: 0, skipped: 0, dials: 0 };
      const hourly = hours.map((hour, i) => {
        const [err, value] = results[i] ?? [new Error('no answer')];
        if (err) throw err;
        const counts = value as Record<string, string>;
        for (const name of [...DELIVERY_STATUSES, 'dials'] as const) last24h[name] += Number(counts[name] ?? 0);
        return { hour: new Date(hour * HOUR_MS).toISOString(), delivered: Number(counts.delivered ?? 0), failed: Number(counts.failed ?? 0) };
      });
      return { last24h, hourly };
    },
  };
}

function toDelivery(deliveryId: string, webhookId: string, fields: Record<string, string>, batchKept: boolean): Delivery | null {
  const status = fields.st as DeliveryStatus | undefined;
  if (status === undefined) return null;
  const iso = (ms: string | undefined) => new Date(Number(ms ?? 0)).toISOString();
  return {
    deliveryId,
    webhookId,
    status,
    dialCount: Number(fields.n),
    firstPublishedAt: iso(fields.fp),
    createdAt: iso(fields.ca),
    finishedAt: iso(fields.fa),
    attempts: JSON.parse(fields.at ?? '[]') as DeliveryAttempt[],
    resendable: status === 'failed' && batchKept,
    ...(fields.ra !== undefined ? { resentAt: iso(fields.ra) } : {}),
  };
}

function encodeCursor(score: number, id: string): string {
  return Buffer.from(`${score}.${id}`).toString('base64url');
}

function decodeCursor(cursor: string): { score: number; id: string } {
  const match = /^(\d{1,16})\.([0-9a-f-]{36})$/.exec(Buffer.from(cursor, 'base64url').toString());
  if (match === null || Buffer.from(`${match[1]}.${match[2]}`).toString('base64url') !== cursor) throw new InvalidCursorError();
  return { score: Number(match[1]), id: match[2]! };
}

import {
  HEADER_NAMES,
  EVENT_TYPES,
  USER_AGENT,
  buildPayloadBody,
  deliveryJobSchema,
  isRetryable,
  signBody,
  type DeliveryAttempt,
  type DeliveryJob,
  type DeliveryStatus,
  type Logger,
} from '@outboundiq/core';
import type { WebhookStore } from '@outboundiq/webhook-store';
import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import type { DeliveryRecorder } from './delivery-log.js';
import type { AttemptOutcome, DeliveryHttp } from './http.js';
import type { WebhookLimiter } from './limiter.js';
import type { Slots } from './slots.js';

export interface DeliveryConfig {
  retryDelayMs: number;
  /** How long a job waits when its webhook already has its share of this sender's slots. */
  busyDelayMs: number;
  /**
   * A webhook at its cap whose deliveries in flight all started less than this long ago is busy,
   * not slow: its next job waits in this process for a slot (see WebhookLimiter.acquire), up to
   * busyMaxWaitMs, instead of stepping aside for busyDelayMs. Default 250 ms; 0 steps aside at once.
   */
  busySlowMs?: number;
  /** Default 5 s. */
  busyMaxWaitMs?: number;
}

const BUSY_DEFAULTS = { slowMs: 250, maxWaitMs: 5_000 };

export type DeliveryResult =
  | { outcome: 'delivered'; attempts: 1 | 2; status: number }
  | { outcome: 'skipped'; reason: 'webhook-deleted' | 'webhook-disabled' };

export interface DeliveryEvents {
  attempt?(event: { outcome: AttemptOutcome; ms: number }): void;
  finished?(event: { result: DeliveryResult | { outcome: 'failed' | 'refused' }; job: DeliveryJob }): void;
}

export interface SenderDeps {
  store: WebhookStore;
  http: DeliveryHttp;
  limiter: WebhookLimiter;
  /** The process-wide cap on deliveries in flight, across every shard's worker (absent: none). */
  slots?: Slots;
  logger: Logger;
  config: DeliveryConfig;
  events?: DeliveryEvents;
  /** The customer's delivery log (absent: not kept). */
  deliveryLog?: DeliveryRecorder;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * The BullMQ processor: one delivery job = one batch for one webhook, at most two attempts about
 * `retryDelayMs` apart, with the same deliveryId. The webhook is loaded before each attempt, so a
 * webhook disabled or deleted meanwhile gets nothing, and a rotated secret signs at once.
 */
export function createDeliveryProcessor(deps: SenderDeps) {
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));

  return async function processDelivery(job: Job<DeliveryJob>, token?: string): Promise<DeliveryResult> {
    const parsed = deliveryJobSchema.safeParse(job.data);
    if (!parsed.success) {
      deps.logger.error({ jobId: job.id, issues: parsed.error.issues.map((i) => i.path.join('.')) }, 'malformed delivery job dropped');
      throw new UnrecoverableError('malformed delivery job');
    }
    const data = parsed.data;
    // A fast endpoint at its cap frees a slot within milliseconds: wait for it here rather than
    // step aside for a second or more (one busy company would otherwise cycle most of its jobs
    // through Redis's delayed set).
    const release = await deps.limiter.acquire(
      data.webhookId,
      deps.config.busySlowMs ?? BUSY_DEFAULTS.slowMs,
      deps.config.busyMaxWaitMs ?? BUSY_DEFAULTS.maxWaitMs,
    );
    if (release === null) {
      // This webhook already holds its share of our slots (a slow or dead endpoint): step aside.
      // BullMQ counts every start but not these deferrals as attempts, so the difference is how
      // often this job has stepped aside already.
      const deferrals = Math.max(0, (job.attemptsStarted ?? 0) - job.attemptsMade - 1);
      await job.moveToDelayed(Date.now() + busyDelay(deps.config.busyDelayMs, deferrals), token);
      throw new DelayedError();
    }
    const slot = await deps.slots?.acquire();
    try {
      return await deliver(deps, data, sleep, job.timestamp);
    } finally {
      slot?.();
      release();
    }
  };
}

/** Doublings of the busy delay at most: 1 s grows to 16 s. */
const BUSY_BACKOFF_STEPS = 4;

/**
 * How long a job steps aside when its webhook is at its cap: doubling with each deferral of that
 * job, up to 2^4 times the base, +-25 % jitter. A fixed delay made every job queued behind a dead
 * endpoint cycle through Redis once a second (20 new jobs a second piled up to ~1,000 cycling, which
 * tripled the other companies' latency); with backoff the backlog costs a trickle of Redis calls.
 */
export function busyDelay(baseMs: number, deferrals: number, random: () => number = Math.random): number {
  return Math.round(baseMs * 2 ** Math.min(deferrals, BUSY_BACKOFF_STEPS) * (0.75 + random() * 0.5));
}

async function deliver(deps: SenderDeps, data: DeliveryJob, sleep: (ms: number) => Promise<void>, createdAt: number): Promise<DeliveryResult> {
  const log = lazyChild(deps.logger, () => ({ deliveryId: data.deliveryId, webhookId: data.webhookId, companySlug: data.companySlug, dials: data.dialCount }));
  const attempts: DeliveryAttempt[] = [];
  const record = async (status: DeliveryStatus) => deps.deliveryLog?.record(data, createdAt, status, attempts);
  let last: Extract<AttemptOutcome, { ok: false }> | undefined;
  for (const attempt of [1, 2] as const) {
    if (attempt === 2) await sleep(deps.config.retryDelayMs);
    const loaded = await deps.store.loadForDelivery(data.companySlug, data.webhookId);
    if (loaded === null || !loaded.webhook.enabled) {
      const result: DeliveryResult = { outcome: 'skipped', reason: loaded === null ? 'webhook-deleted' : 'webhook-disabled' };
      log.info({ reason: result.reason, attempt }, 'delivery skipped');
      deps.events?.finished?.({ result, job: data });
      // A deleted webhook's log went with it (the store's delete); only a disabled one records the skip.
      if (loaded !== null) await record('skipped');
      return result;
    }
    const body = buildPayloadBody(data.deliveryId, new Date(), data.dials);
    const headers = {
      ...loaded.webhook.headers,
      'content-type': 'application/json',
      'user-agent': USER_AGENT,
      [HEADER_NAMES.event]: EVENT_TYPES.dialBatch,
      [HEADER_NAMES.deliveryId]: data.deliveryId,
      [HEADER_NAMES.signature]: signBody(body, loaded.signingSecret),
    };
    const started = Date.now();
    const outcome = await deps.http.post(loaded.webhook.url, headers, body);
    deps.events?.attempt?.({ outcome, ms: Date.now() - started });
    if (deps.deliveryLog) attempts.push(deps.deliveryLog.attempt(started, outcome));
    if (outcome.ok) {
      const result: DeliveryResult = { outcome: 'delivered', attempts: attempt, status: outcome.status };
      log.debug({ attempt, status: outcome.status }, 'delivered');
      deps.events?.finished?.({ result, job: data });
      await record('delivered');
      return result;
    }
    last = outcome;
    // The error says whether another attempt can help (OiqError's `retryable`). On this path only
    // the destination policy raises one that says no (DestinationBlockedError): hence "refused".
    if (!isRetryable(last.cause)) {
      log.error({ attempt, error: last.error }, 'delivery refused: destination not allowed');
      deps.events?.finished?.({ result: { outcome: 'refused' }, job: data });
      await record('refused');
      throw new UnrecoverableError(`destination refused: ${last.error}`);
    }
    log.warn({ attempt, status: last.status, error: last.error }, attempt === 1 ? 'delivery attempt failed; retrying once' : 'delivery retry failed');
  }
  const reason = `delivery failed after 2 attempts: ${last?.error ?? 'unknown error'}`;
  log.error({ status: last?.status, error: last?.error }, 'delivery failed; giving up');
  deps.events?.finished?.({ result: { outcome: 'failed' }, job: data });
  await record('failed');
  throw new UnrecoverableError(reason);
}

/**
 * The delivery's child logger, made on its first line at an enabled level: a pino child per
 * delivery was ~1.5 % of the sender's CPU (bench profile), and a delivery that succeeds logs
 * nothing above debug.
 */
function lazyChild(logger: Logger, bindings: () => Record<string, unknown>): Pick<Logger, 'debug' | 'info' | 'warn' | 'error'> {
  let child: Logger | undefined;
  const at = (level: 'debug' | 'info' | 'warn' | 'error') => (obj: object, msg: string) => {
    if (!logger.isLevelEnabled(level)) return;
    child ??= logger.child(bindings());
    child[level](obj, msg);
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } as Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;
}

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Keys, RedisClient, ShardKeys } from '@outboundiq/core';
import { withTimeout } from './timeout.js';

/**
 * Every Prometheus metric of the system is defined here (names start with `oiq_`), so dashboards,
 * alerts (infra/README.md) and code agree on one spelling. Each process makes its own registry with
 * `createMetricsRegistry()` and adds the groups it feeds. Labels are of bounded cardinality only:
 * an outcome, a state, a status class; never a URL, and a company and webhook only in the bounded
 * `oiq_webhook_failing` (failing-webhooks.ts).
 */
export interface MetricsRegistry {
  registry: Registry;
  /** Prometheus text for GET /metrics (the health server's `metrics` option). */
  render(): Promise<{ contentType: string; body: string }>;
}

/** A registry with Node's default process metrics (unprefixed, as standard dashboards expect). */
export function createMetricsRegistry(options: { defaultMetrics?: boolean } = {}): MetricsRegistry {
  const registry = new Registry();
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry });
  return {
    registry,
    render: async () => ({ contentType: registry.contentType, body: await registry.metrics() }),
  };
}

/**
 * What a publisher sends, counted in the publisher's own process through the producer's
 * `onPublish` hook (the producer library itself does not depend on prom-client).
 */
export function producerMetrics(registry: Registry) {
  const dials = new Counter({
    name: 'oiq_producer_dials_total',
    help: 'Dials given to the producer library, by result: enqueued, or skipped (the company has no enabled webhook)',
    labelNames: ['result'] as const,
    registers: [registry],
  });
  return {
    onPublish({ enqueued, skipped }: { enqueued: number; skipped: number }): void {
      if (enqueued > 0) dials.inc({ result: 'enqueued' }, enqueued);
      if (skipped > 0) dials.inc({ result: 'skipped' }, skipped);
    },
  };
}

/** The batcher's side: what it read from the company streams and turned into delivery jobs. */
export function batcherMetrics(registry: Registry) {
  const dials = new Counter({ name: 'oiq_batcher_dials_total', help: 'Dials read from company streams and packed into batches', registers: [registry] });
  const batches = new Counter({ name: 'oiq_batcher_batches_flushed_total', help: 'Batches flushed (each becomes one delivery job per enabled webhook)', registers: [registry] });
  const jobs = new Counter({ name: 'oiq_batcher_delivery_jobs_total', help: 'Delivery jobs added (batches x enabled webhooks)', registers: [registry] });
  const size = new Histogram({
    name: 'oiq_batcher_batch_size_dials',
    help: 'Dials per flushed batch',
    buckets: [1, 2, 5, 10, 25, 50, 75, 99, 100],
    registers: [registry],
  });
  return {
    /** The batcher's `onBatch` hook. */
    onBatch({ dials: count, webhooks }: { dials: number; webhooks: number }): void {
      dials.inc(count);
      batches.inc();
      jobs.inc(webhooks);
      size.observe(count);
    },
  };
}

export const DELIVERY_OUTCOMES = ['delivered_first_try', 'delivered_on_retry', 'failed', 'refused', 'skipped'] as const;
export type DeliveryOutcomeLabel = (typeof DELIVERY_OUTCOMES)[number];

/** The sender's side: one delivery job = one outcome; each HTTP attempt is timed. */
export function senderMetrics(registry: Registry, now: () => number = Date.now) {
  const deliveries = new Counter({
    name: 'oiq_deliveries_total',
    help: 'Deliveries (one batch to one webhook) finished, by outcome',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const dials = new Counter({ name: 'oiq_delivered_dials_total', help: 'Dials in deliveries answered 2xx', registers: [registry] });
  const latency = new Histogram({
    name: 'oiq_delivery_latency_seconds',
    help: 'From the publish of the oldest dial of a batch to the 2xx answer of its webhook',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300],
    registers: [registry],
  });
  const attempts = new Histogram({
    name: 'oiq_delivery_attempt_duration_seconds',
    help: 'One HTTP attempt, connect to answer, by result (status class, or error: connection, TLS, timeout)',
    labelNames: ['result'] as const,
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  // Zero series for every outcome, so rate() and ratios work before the first failure happens.
  for (const outcome of DELIVERY_OUTCOMES) deliveries.inc({ outcome }, 0);

  return {
    /** Shaped like the sender's `DeliveryEvents`. */
    events: {
      attempt({ outcome, ms }: { outcome: { ok: boolean; status?: number }; ms: number }): void {
        const result = outcome.status === undefined ? 'error' : `${Math.floor(outcome.status / 100)}xx`;
        attempts.observe({ result }, ms / 1_000);
      },
      finished({ result, job }: { result: { outcome: string; attempts?: number }; job: { firstPublishedAt: number; dialCount: number } }): void {
        const outcome = outcomeLabel(result);
        deliveries.inc({ outcome });
        if (outcome === 'delivered_first_try' || outcome === 'delivered_on_retry') {
          dials.inc(job.dialCount);
          latency.observe(Math.max(0, now() - job.firstPublishedAt) / 1_000);
        }
      },
    },
  };
}

function outcomeLabel(result: { outcome: string; attempts?: number }): DeliveryOutcomeLabel {
  if (result.outcome === 'delivered') return result.attempts === 1 ? 'delivered_first_try' : 'delivered_on_retry';
  if (result.outcome === 'failed' || result.outcome === 'refused' || result.outcome === 'skipped') return result.outcome;
  return 'failed';
}

/** What a scrape reads of one delivery queue (a BullMQ Queue): its public job counts. */
export interface QueueCounts {
  readonly name: string;
  getJobCounts(...types: string[]): Promise<Record<string, number>>;
}

export interface BacklogSources {
  /** The delivery queue of every shard, in shard order. */
  queues: readonly QueueCounts[];
  /** With both, the scheduler's zsets of every shard are read too (the batcher's view of waiting dials). */
  redis?: RedisClient;
  keys?: Keys;
  /** A scrape must answer before Prometheus gives up, even when Redis does not. Default 1 s. */
  timeoutMs?: number;
}

interface SchedulerBacklog {
  ready: number;
  leased: number;
  oldestReadyMs: number;
  overdueLeaseMs: number;
}

interface Backlog {
  /** Per shard, per state. */
  jobs: Record<string, number>[];
  scheduler?: SchedulerBacklog;
}

const JOB_STATES = ['waiting', 'active', 'delayed', 'failed'] as const;

/**
 * A read from Redis for the gauges of one scrape: concurrent callers share the read in flight, a
 * settled read is never reused, and a read that fails or outlasts `timeoutMs` counts in `failures`
 * and reads as null (the gauges stay empty for that scrape rather than fail it).
 */
export function sharedScrapeRead<T>(read: () => Promise<T>, timeoutMs: number, failures: Counter): () => Promise<T | null> {
  let inFlight: Promise<T | null> | undefined;
  return () => {
    inFlight ??= withTimeout(read(), timeoutMs)
      .catch(() => {
        failures.inc();
        return null;
      })
      .finally(() => {
        inFlight = undefined;
      });
    return inFlight;
  };
}

/**
 * Gauges read from Redis when scraped, never in the background: the delivery queues' job counts
 * (summed over shards, and per shard) and, for the batcher, the scheduler's `ready` and `leases`
 * zsets of every shard (their oldest score only: no per-company scan). A read that fails or outlasts the timeout leaves the gauges empty for that
 * scrape and counts a failure, rather than failing the whole scrape or showing stale numbers.
 * Every copy of an app reports the same backlog: aggregate with max(), not sum().
 */
export function registerBacklogGauges(registry: Registry, sources: BacklogSources): void {
  const timeoutMs = sources.timeoutMs ?? 1_000;
  const failures = new Counter({ name: 'oiq_backlog_collect_failures_total', help: 'Scrapes whose backlog read from Redis failed or timed out', registers: [registry] });
  // One read serves every gauge of a scrape: prom-client collects them side by side, so they share
  // the read in flight. A settled read is never reused, so a scrape never shows a stale backlog next
  // to fresh counters.
  const read = sharedScrapeRead(() => readBacklog(sources), timeoutMs, failures);

  const queueName = sources.queues[0]?.name ?? 'deliveries';
  new Gauge({
    name: 'oiq_queue_jobs',
    help: 'Delivery jobs by state (waiting, active, delayed, failed), summed over every shard\'s queue, read at scrape time',
    labelNames: ['queue', 'state'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      const backlog = await read();
      if (!backlog) return;
      for (const state of JOB_STATES) this.set({ queue: queueName, state }, backlog.jobs.reduce((sum, counts) => sum + (counts[state] ?? 0), 0));
    },
  });
  new Gauge({
    name: 'oiq_shard_queue_jobs',
    help: 'Delivery jobs of one shard\'s queue by state, read at scrape time (a hot or stuck shard)',
    labelNames: ['shard', 'state'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      const backlog = await read();
      if (!backlog) return;
      backlog.jobs.forEach((counts, shard) => {
        for (const state of JOB_STATES) this.set({ shard: String(shard), state }, counts[state] ?? 0);
      });
    },
  });
  if (!sources.redis || !sources.keys) return;
  const scheduler = async () => (await read())?.scheduler;
  new Gauge({
    name: 'oiq_scheduler_companies',
    help: 'Companies with dials waiting for a batcher (ready) or held by one (leased)',
    labelNames: ['state'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      const s = await scheduler();
      if (s) {
        this.set({ state: 'ready' }, s.ready);
        this.set({ state: 'leased' }, s.leased);
      }
    },
  });
  new Gauge({
    name: 'oiq_oldest_pending_dial_age_seconds',
    help: 'Age of the oldest dial waiting for a batcher (oldest score of the ready zset, Redis clock); 0 when none waits',
    registers: [registry],
    async collect() {
      this.reset();
      const s = await scheduler();
      if (s) this.set(s.oldestReadyMs / 1_000);
    },
  });
  new Gauge({
    name: 'oiq_scheduler_overdue_lease_seconds',
    help: 'How long the oldest batcher claim has run past its end (a dead or stuck batcher; recovered at the next claim); 0 when none',
    registers: [registry],
    async collect() {
      this.reset();
      const s = await scheduler();
      if (s) this.set(s.overdueLeaseMs / 1_000);
    },
  });
}

async function readBacklog(sources: BacklogSources): Promise<Backlog> {
  const { redis, keys } = sources;
  const [jobs, scheduler] = await Promise.all([
    Promise.all(sources.queues.map((queue) => queue.getJobCounts(...JOB_STATES))),
    redis && keys ? Promise.all(keys.allShards().map((shard) => readScheduler(redis, shard))).then(sumSchedulers) : undefined,
  ]);
  return scheduler ? { jobs, scheduler } : { jobs };
}

/** One shard's zsets, in one pipeline (one slot: TIME goes along to the shard's node). */
async function readScheduler(redis: RedisClient, shard: ShardKeys): Promise<SchedulerBacklog> {
  const replies = await redis
    .pipeline()
    .time()
    .zrange(shard.ready(), '0', '0', 'WITHSCORES')
    .zrange(shard.leases(), '0', '0', 'WITHSCORES')
    .zcard(shard.ready())
    .zcard(shard.leases())
    .exec();
  if (replies === null) throw new Error('backlog read: pipeline discarded');
  const failed = replies.find(([err]) => err !== null);
  if (failed) throw failed[0] as Error;
  const [time, ready, leases, readyCount, leasedCount] = replies.map(([, value]) => value) as [[string, string], string[], string[], number, number];
  // Scores are Redis's clock (the scripts use TIME), so the age is measured on it too.
  const now = Number(time[0]) * 1_000 + Math.floor(Number(time[1]) / 1_000);
  return {
    ready: readyCount,
    leased: leasedCount,
    oldestReadyMs: ready[1] === undefined ? 0 : Math.max(0, now - Number(ready[1])),
    overdueLeaseMs: leases[1] === undefined ? 0 : Math.max(0, now - Number(leases[1])),
  };
}

function sumSchedulers(shards: SchedulerBacklog[]): SchedulerBacklog {
  return shards.reduce(
    (sum, s) => ({
      ready: sum.ready + s.ready,
      leased: sum.leased + s.leased,
      oldestReadyMs: Math.max(sum.oldestReadyMs, s.oldestReadyMs),
      overdueLeaseMs: Math.max(sum.overdueLeaseMs, s.overdueLeaseMs),
    }),
    { ready: 0, leased: 0, oldestReadyMs: 0, overdueLeaseMs: 0 },
  );
}

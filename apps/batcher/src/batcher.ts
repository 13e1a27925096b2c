import { watchBackpressure } from './backpressure.js';
import { processRound, type PassDeps, type PassSettings } from './passes.js';
import type { Claim } from './scheduler.js';
import { createDoorbell, createShardClock } from './shard-clock.js';

export interface BatcherConfig extends PassSettings {
  /** Companies worked on at once by this process, over every shard. */
  concurrency: number;
  /** The most companies one round (one claim call) takes; default 64. */
  maxCompaniesPerRound?: number;
  /** The longest a shard goes unchecked: the safety net for a lost wake message. */
  idleCheckMs: number;
  /** How long a shard whose claim call failed waits before it is tried again. */
  claimRetryMs: number;
  /** How often the claims in hand are extended (well under the lease). */
  renewEveryMs: number;
  /** Delivery jobs waiting above which the senders count as behind. */
  backpressureJobs: number;
  /** How long companies wait for batch-mates while the senders are behind. */
  backpressureWaitMs: number;
}

export interface BatcherDeps extends PassDeps {
  config: BatcherConfig;
  /** Delivery jobs waiting for a sender, over every shard's queue (BullMQ's wait lists). */
  queueDepth: () => Promise<number>;
  /** Memory pressure (runtime's watchMemoryPressure): above the soft limit, one company at a time. */
  memory?: { cap(concurrency: number): number };
}

export interface Batcher {
  start(): void;
  /** Stops claiming, lets claimed companies finish their pass, resolves when idle. */
  stop(): Promise<void>;
  /** Look at `shard` now: a company became ready there (a wake message). */
  wake(shard: number): void;
  /** Look at every shard now: wake messages may have been missed. */
  wakeAll(): void;
  readonly running: boolean;
}

/**
 * The claim loop: calls the claim script on the shards the shard clock says are due, never more
 * than one call per shard at a time, and works on what they return, at most `concurrency`
 * companies at once over all shards. Between claims it sleeps until the next shard is due or
 * something rings: a wake, a pass or a claim call finishing, stop.
 */
export function createBatcher(deps: BatcherDeps): Batcher {
  const { scheduler, logger, config, keys } = deps;
  const clock = createShardClock({ shards: keys.shards, idleCheckMs: config.idleCheckMs }, Date.now());
  const doorbell = createDoorbell();
  const held = new Set<string>();
  const passes = new Set<Promise<void>>();
  // Companies in the rounds in flight: what counts against `concurrency`.
  let inRounds = 0;
  const claimCalls = new Set<Promise<void>>();
  // Slots promised to claim calls in flight, so their answers never take the process past `concurrency`.
  let reserved = 0;
  let stopping = false;
  let loop: Promise<void> | undefined;
  const free = () => (deps.memory?.cap(config.concurrency) ?? config.concurrency) - inRounds - reserved;
  // The most one claim call may ask for: the shard's part of the process's concurrency. A call
  // reserves its limit until it answers, and one to a master that just died answers only after the
  // failover; asked for every free slot (its shard due alone, woken or re-checked), it would leave
  // nothing to the shards of the masters that are fine. A busy shard asks again at once instead
  // (a claim that took its whole limit makes the shard due again).
  const maxPerClaim = Math.max(1, Math.min(config.maxCompaniesPerRound ?? 64, Math.ceil(config.concurrency / keys.shards)));
  const wakeAll = () => {
    clock.wakeAll(Date.now());
    doorbell.ring();
  };

  const backpressure = watchBackpressure({
    queueDepth: deps.queueDepth,
    thresholdJobs: config.backpressureJobs,
    waitMs: config.backpressureWaitMs,
    sampleEveryMs: 250,
    logger,
    // The shards' next checks were timed with the long wait; with the usual one work may be due now.
    onChange: (behind) => {
      if (!behind) wakeAll();
    },
  });

  // A round's jobs count against the senders' backlog as soon as they are added, so the rounds in
  // flight stop claiming before they bury the senders in small jobs.
  const roundDeps: PassDeps = { ...deps, onJobsAdded: (jobs) => backpressure.added(jobs) };
  // One round per claim call: its companies are read, batched, added and released together.
  const runRound = (shard: number, claims: readonly Claim[]) => {
    if (claims.length === 0) return;
    for (const claim of claims) held.add(claim.companySlug);
    const work = processRound(roundDeps, shard, claims)
      .then(({ outcomes }) => {
        // Dials arrived while a company was held, so it may be due already; a wake message comes
        // only when it is its shard's only ready company.
        if ([...outcomes.values()].includes('ready-again')) clock.wake(shard, Date.now());
      })
      .finally(() => {
        for (const claim of claims) held.delete(claim.companySlug);
        inRounds -= claims.length;
        passes.delete(work);
        doorbell.ring();
      });
    inRounds += claims.length;
    passes.add(work);
  };

  // A slow pass (a busy machine, a Redis hiccup) must not let the claim run out under a live
  // batcher: another would recover the same entries, and a batch whose jobs were already done and
  // removed would be delivered twice. Only a dead batcher's claims run out.
  const renewTimer = setInterval(() => {
    if (held.size === 0) return;
    scheduler.renew(held).catch((err: unknown) => logger.warn({ err }, 'renewing claims failed'));
  }, config.renewEveryMs);
  renewTimer.unref();

  const claimOn = async (shard: number, limit: number) => {
    reserved += limit;
    clock.checking(shard);
    let nextCheckMs = config.claimRetryMs;
    try {
      const { claims, waitMs } = await scheduler.claim(shard, limit, backpressure.maxWaitMs());
      runRound(shard, claims);
      nextCheckMs = waitMs;
    } catch (err) {
      logger.error({ err, shard }, 'claiming companies failed; trying the shard again');
    } finally {
      reserved -= limit;
      clock.checked(shard, nextCheckMs, Date.now());
      doorbell.ring();
    }
  };

  const claimLoop = async () => {
    while (!stopping) {
      const now = Date.now();
      const due = free() > 0 ? clock.due(now) : [];
      if (due.length === 0) {
        await doorbell.wait(free() > 0 ? clock.msUntilNext(now) : Infinity);
        continue;
      }
      // The free slots are shared out among the due shards, so a shard whose call hangs (its master
      // failing over) holds back only its share while the others keep going.
      const share = Math.min(maxPerClaim, Math.max(1, Math.floor(free() / due.length)));
      for (const shard of due) {
        const limit = Math.min(share, free());
        if (limit <= 0) break;
        const call: Promise<void> = claimOn(shard, limit).finally(() => claimCalls.delete(call));
        claimCalls.add(call);
      }
    }
  };

  return {
    start() {
      loop ??= claimLoop();
    },
    async stop() {
      stopping = true;
      doorbell.ring();
      await loop;
      await Promise.allSettled([...claimCalls]);
      await Promise.allSettled([...passes]);
      clearInterval(renewTimer);
      backpressure.stop();
    },
    wake(shard) {
      clock.wake(shard, Date.now());
      doorbell.ring();
    },
    wakeAll,
    get running() {
      return loop !== undefined && !stopping;
    },
  };
}

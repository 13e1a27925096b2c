/**
 * When a batcher looks at each shard next, so that it calls the claim script only where work may be
 * due: with S = 16, polling every shard every few ms would cost thousands of idle calls a second per
 * batcher. A shard is due again:
 * - when the claim script says (`waitMs`): at once when it took as many companies as it was asked
 *   for (more may be due), else when the shard's next ready company or lease is due;
 * - after `idleCheckMs` when it has neither, and at the latest then: a safety net for a lost wake
 *   message, since an empty shard is otherwise only looked at when woken;
 * - at once on a wake: a wake message (the shard's ready zset got its first member), a company
 *   released ready again, the wake subscription (re)made, or backpressure ending.
 * One claim per shard is in flight at a time; a wake that arrives while it is makes the shard due
 * again as soon as it answers, since the answer may predate the company that caused the wake.
 *
 * Times are this process's clock (ms); the claim script's waits are relative, so clocks need not agree.
 */
export interface ShardClock {
  /** Shards due at `now` and not being checked, the longest due first. */
  due(now: number): number[];
  /** Ms until the next shard not being checked is due (0 if one is; Infinity if all are being checked). */
  msUntilNext(now: number): number;
  /** A claim on `shard` is in flight. */
  checking(shard: number): void;
  /**
   * The claim on `shard` answered: look again in `inMs` (the claim's `waitMs`; < 0: nothing known),
   * never later than `idleCheckMs`, or at once if the shard was woken meanwhile.
   */
  checked(shard: number, inMs: number, now: number): void;
  /** Look at `shard` now. */
  wake(shard: number, now: number): void;
  wakeAll(now: number): void;
}

export interface ShardClockSettings {
  shards: number;
  /** The longest a shard goes unchecked. */
  idleCheckMs: number;
}

interface ShardState {
  dueAt: number;
  checking: boolean;
  wokenWhileChecking: boolean;
}

/** Every shard starts due at `now`: a batcher looks at each once when it starts. */
export function createShardClock(settings: ShardClockSettings, now: number): ShardClock {
  const states: ShardState[] = Array.from({ length: settings.shards }, () => ({ dueAt: now, checking: false, wokenWhileChecking: false }));
  const state = (shard: number): ShardState => {
    const s = states[shard];
    if (s === undefined) throw new RangeError(`no shard ${shard} of ${settings.shards}`);
    return s;
  };
  const wake = (shard: number, at: number) => {
    const s = state(shard);
    if (s.checking) s.wokenWhileChecking = true;
    else s.dueAt = Math.min(s.dueAt, at);
  };
  return {
    due(at) {
      const due: number[] = [];
      states.forEach((s, shard) => {
        if (!s.checking && s.dueAt <= at) due.push(shard);
      });
      return due.sort((a, b) => states[a]!.dueAt - states[b]!.dueAt);
    },
    msUntilNext(at) {
      let next = Infinity;
      for (const s of states) if (!s.checking) next = Math.min(next, s.dueAt);
      return Math.max(0, next - at);
    },
    checking(shard) {
      const s = state(shard);
      s.checking = true;
      s.wokenWhileChecking = false;
    },
    checked(shard, inMs, at) {
      const s = state(shard);
      s.checking = false;
      s.dueAt = s.wokenWhileChecking ? at : at + (inMs < 0 ? settings.idleCheckMs : Math.min(inMs, settings.idleCheckMs));
      s.wokenWhileChecking = false;
    },
    wake,
    wakeAll(at) {
      for (let shard = 0; shard < states.length; shard++) wake(shard, at);
    },
  };
}

/**
 * What the claim loop waits on: a timeout, or a ring (a wake, a pass or a claim finished, stop),
 * whichever comes first. A ring while nobody waits is dropped: the loop reads the state it cares
 * about right before it waits, in the same tick, so there is nothing to miss.
 */
export function createDoorbell() {
  let ring: (() => void) | undefined;
  return {
    ring: () => ring?.(),
    wait(ms: number): Promise<void> {
      return new Promise<void>((resolve) => {
        const timer = Number.isFinite(ms) ? setTimeout(() => ring?.(), ms) : undefined;
        ring = () => {
          clearTimeout(timer);
          ring = undefined;
          resolve();
        };
      });
    },
  };
}

import { Gauge, type Registry } from 'prom-client';
import type { Logger } from '@outboundiq/core';

/**
 * A worker under memory pressure slows its intake instead of growing until the kernel kills it.
 * The process's resident memory is sampled against a soft limit (MEMORY_SOFT_LIMIT_MB, set below the
 * container's hard limit); above it, the work in hand is held to one unit at a time (one company's
 * pass in the batcher, one delivery in the sender), so the process keeps making progress, finished
 * work is freed, and memory can come back under the limit, when the usual concurrency returns.
 * Without a limit nothing is ever held back.
 */
export interface MemoryPressure {
  /** Above the soft limit at the last sample. */
  readonly above: boolean;
  /** The units of work that may be in hand now: `concurrency` below the limit, 1 above it. */
  cap(concurrency: number): number;
  /** The same rule around acquire/release slots: above the limit, a slot waits until no other one taken through here is held. */
  gate<S extends { acquire(): Promise<() => void> }>(slots: S): S;
  /** Called with the new state whenever it changes (e.g. to look for work again). */
  onChange(listener: (above: boolean) => void): void;
  stop(): void;
}

export interface MemoryPressureOptions {
  /** Soft limit on resident memory, bytes; undefined: no limit. */
  limitBytes: number | undefined;
  logger: Logger;
  /** Exports oiq_memory_soft_limit_bytes and oiq_memory_pressure. */
  registry?: Registry;
  sampleEveryMs?: number;
  /** Resident memory now (tests). */
  rss?: () => number;
}

export function watchMemoryPressure(options: MemoryPressureOptions): MemoryPressure {
  const { limitBytes, logger } = options;
  const rss = options.rss ?? (() => process.memoryUsage.rss());
  const listeners: ((above: boolean) => void)[] = [];
  let above = false;

  if (options.registry) {
    if (limitBytes !== undefined) new Gauge({ name: 'oiq_memory_soft_limit_bytes', help: 'MEMORY_SOFT_LIMIT_MB in bytes: above it the process holds its intake to one unit of work', registers: [options.registry] }).set(limitBytes);
    new Gauge({
      name: 'oiq_memory_pressure',
      help: '1 while resident memory is above MEMORY_SOFT_LIMIT_MB (intake held to one unit of work), else 0',
      registers: [options.registry],
      collect() {
        this.set(above ? 1 : 0);
      },
    });
  }

  const sample = () => {
    if (limitBytes === undefined) return;
    const now = rss();
    const next = now > limitBytes;
    if (next === above) return;
    above = next;
    if (above) logger.warn({ rssBytes: now, limitBytes }, 'memory above MEMORY_SOFT_LIMIT_MB: taking one unit of work at a time until it falls');
    else logger.info({ rssBytes: now, limitBytes }, 'memory back under MEMORY_SOFT_LIMIT_MB: full concurrency again');
    for (const listener of listeners) listener(above);
  };
  sample();
  const timer = limitBytes === undefined ? undefined : setInterval(sample, options.sampleEveryMs ?? 250);
  timer?.unref();

  return {
    get above() {
      return above;
    },
    cap: (concurrency) => (above ? Math.min(1, concurrency) : concurrency),
    gate<S extends { acquire(): Promise<() => void> }>(slots: S): S {
      let held = 0;
      const waiting: (() => void)[] = [];
      const admitNext = () => {
        while (waiting.length > 0 && (!above || held === 0)) {
          held++;
          waiting.shift()!();
        }
      };
      listeners.push(admitNext);
      const enter = (): Promise<void> => {
        if (waiting.length === 0 && (!above || held === 0)) {
          held++;
          return Promise.resolve();
        }
        return new Promise<void>((resolve) => waiting.push(resolve));
      };
      const leave = () => {
        held--;
        admitNext();
      };
      const gated = Object.create(slots) as S;
      gated.acquire = async () => {
        await enter();
        let release: () => void;
        try {
          release = await slots.acquire();
        } catch (err) {
          leave();
          throw err;
        }
        let done = false;
        return () => {
          if (done) return;
          done = true;
          release();
          leave();
        };
      };
      return gated;
    },
    onChange(listener) {
      listeners.push(listener);
    },
    stop() {
      if (timer) clearInterval(timer);
    },
  };
}

/** MEMORY_SOFT_LIMIT_MB as bytes (undefined stays undefined). */
export const megabytes = (mb: number | undefined): number | undefined => (mb === undefined ? undefined : mb * 1024 * 1024);

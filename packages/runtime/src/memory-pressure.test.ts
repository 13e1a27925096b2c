import { describe, expect, it, jest } from '@jest/globals';
import type { Logger } from '@outboundiq/core';
import { Registry } from 'prom-client';
import { watchMemoryPressure } from './memory-pressure.js';

const logger = { warn: jest.fn(), info: jest.fn() } as unknown as Logger;
/** Slots of unlimited size that count how many are held. */
const counting = () => {
  let held = 0;
  return {
    get held() {
      return held;
    },
    acquire: async () => {
      held++;
      return () => void held--;
    },
  };
};
const tick = () => new Promise((r) => setTimeout(r, 0));

describe('watchMemoryPressure', () => {
  it('without a limit never holds anything back', async () => {
    const pressure = watchMemoryPressure({ limitBytes: undefined, logger, rss: () => Number.MAX_SAFE_INTEGER });
    const slots = pressure.gate(counting());
    await Promise.all([slots.acquire(), slots.acquire(), slots.acquire()]);
    expect([pressure.above, pressure.cap(32)]).toEqual([false, 32]);
    pressure.stop();
  });

  it('above the limit lets one unit through at a time, and all of them again once memory falls', async () => {
    let rss = 200;
    const registry = new Registry();
    const pressure = watchMemoryPressure({ limitBytes: 100, logger, registry, rss: () => rss, sampleEveryMs: 5 });
    expect([pressure.above, pressure.cap(32)]).toEqual([true, 1]);
    const inner = counting();
    const slots = pressure.gate(inner);
    const first = await slots.acquire();
    let second: (() => void) | undefined;
    let third: (() => void) | undefined;
    void slots.acquire().then((r) => (second = r));
    void slots.acquire().then((r) => (third = r));
    await tick();
    expect([inner.held, second, third]).toEqual([1, undefined, undefined]);
    expect((await registry.getSingleMetric('oiq_memory_pressure')!.get()).values[0]!.value).toBe(1);

    first();
    first(); // a second release changes nothing
    await tick();
    expect([inner.held, typeof second, third]).toEqual([1, 'function', undefined]);

    rss = 50;
    await new Promise((r) => setTimeout(r, 30));
    expect([pressure.above, pressure.cap(32), inner.held, typeof third]).toEqual([false, 32, 2, 'function']);
    expect((await registry.getSingleMetric('oiq_memory_pressure')!.get()).values[0]!.value).toBe(0);
    pressure.stop();
  });
});

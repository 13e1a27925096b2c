import { describe, expect, it } from '@jest/globals';
import { createSlots, workerConcurrency } from './slots.js';

describe('the process-wide delivery slots', () => {
  it('lets `size` deliveries in, then serves waiters first come first served as slots free', async () => {
    const slots = createSlots(2);
    const a = await slots.acquire();
    const b = await slots.acquire();
    const order: string[] = [];
    const c = slots.acquire().then((release) => (order.push('c'), release));
    const d = slots.acquire().then((release) => (order.push('d'), release));
    await Promise.resolve();
    expect(order).toEqual([]);
    expect(slots.inUse).toBe(2);
    a();
    a(); // a second release of the same slot frees nothing more
    const releaseC = await c;
    expect(order).toEqual(['c']);
    b();
    (await d)();
    releaseC();
    expect(order).toEqual(['c', 'd']);
    expect(slots.inUse).toBe(0);
  });

  it('gives one shard\'s worker every slot, and S workers about 2C between them, never below one webhook\'s cap', () => {
    expect(workerConcurrency(64, 1, 8)).toBe(64);
    expect(workerConcurrency(64, 4, 8)).toBe(32);
    expect(workerConcurrency(64, 16, 8)).toBe(8);
    expect(workerConcurrency(64, 256, 8)).toBe(8);
    expect(workerConcurrency(4, 16, 8)).toBe(4);
  });
});

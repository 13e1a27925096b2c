import { describe, expect, it } from '@jest/globals';
import { busyDelay } from './delivery.js';

describe('busyDelay', () => {
  it('doubles with each deferral of the job, up to 16 times the base', () => {
    const mid = () => 0.5;
    expect([0, 1, 2, 3, 4, 5, 50].map((n) => busyDelay(1_000, n, mid))).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 16_000, 16_000]);
  });

  it('spreads jobs by +-25 %', () => {
    expect(busyDelay(1_000, 0, () => 0)).toBe(750);
    expect(busyDelay(1_000, 0, () => 0.999999)).toBe(1_250);
  });
});

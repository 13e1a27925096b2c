import { describe, expect, it } from '@jest/globals';
import { createDoorbell, createShardClock } from './shard-clock.js';

describe('shard clock', () => {
  it('has every shard due at start, then each when its claim said, never later than the idle check', () => {
    const clock = createShardClock({ shards: 3, idleCheckMs: 1_000 }, 100);
    expect(clock.due(100)).toEqual([0, 1, 2]);
    for (const shard of [0, 1, 2]) clock.checking(shard);
    expect(clock.due(100)).toEqual([]);
    expect(clock.msUntilNext(100)).toBe(Infinity);
    clock.checked(0, 0, 110); // took as many as asked: at once
    clock.checked(1, 25, 110); // next company due in 25 ms
    clock.checked(2, -1, 110); // empty: the idle re-check
    expect(clock.due(110)).toEqual([0]);
    clock.checking(0);
    clock.checked(0, 60_000, 120); // a lease far off: capped at the idle check
    expect(clock.msUntilNext(120)).toBe(15);
    expect(clock.due(135)).toEqual([1]);
    expect(clock.due(1_110)).toEqual([1, 2]);
    expect(clock.due(1_120)).toEqual([1, 2, 0]);
  });

  it('makes a woken shard due at once, and one woken while its claim is in flight due when it answers', () => {
    const clock = createShardClock({ shards: 2, idleCheckMs: 1_000 }, 0);
    clock.checking(0);
    clock.checking(1);
    clock.checked(0, -1, 10);
    clock.wake(0, 20);
    expect(clock.due(20)).toEqual([0]);
    // The answer may have been read before the company that caused the wake arrived.
    clock.wake(1, 30);
    expect(clock.due(30)).toEqual([0]);
    clock.checked(1, -1, 40);
    expect(clock.due(40)).toEqual([0, 1]);
    clock.checking(0);
    clock.checked(0, 500, 50);
    clock.checking(1);
    clock.checked(1, 500, 50);
    clock.wakeAll(60);
    expect(clock.due(60)).toEqual([0, 1]);
  });

  it('refuses a shard it does not have', () => {
    const clock = createShardClock({ shards: 2, idleCheckMs: 1_000 }, 0);
    expect(() => clock.wake(2, 0)).toThrow(RangeError);
  });
});

describe('doorbell', () => {
  it('ends a wait at its timeout or at a ring, whichever comes first', async () => {
    const bell = createDoorbell();
    const started = Date.now();
    await bell.wait(20);
    expect(Date.now() - started).toBeGreaterThanOrEqual(15);
    const waiting = bell.wait(Infinity);
    bell.ring();
    await waiting;
    bell.ring(); // nobody waits: nothing happens
  });
});

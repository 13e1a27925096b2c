import { describe, expect, it, jest } from '@jest/globals';
import { createWebhookLimiter } from './limiter.js';

describe('createWebhookLimiter', () => {
  it('caps each webhook on its own', () => {
    const limiter = createWebhookLimiter(2);
    const a1 = limiter.tryAcquire('a');
    expect(limiter.tryAcquire('a')).not.toBeNull();
    expect(limiter.tryAcquire('a')).toBeNull();
    expect(limiter.tryAcquire('b')).not.toBeNull();
    a1!();
    a1!();
    expect(limiter.inFlight('a')).toBe(1);
  });

  it('hands a busy webhook the next freed slot, first come first served', async () => {
    let clock = 1_000;
    const limiter = createWebhookLimiter(1, () => clock);
    const first = (await limiter.acquire('a', 250, 5_000))!;
    clock += 100;
    const order: string[] = [];
    const second = limiter.acquire('a', 250, 5_000).then((r) => (order.push('second'), r));
    const third = limiter.acquire('a', 250, 5_000).then((r) => (order.push('third'), r));
    first();
    const release2 = (await second)!;
    expect(limiter.inFlight('a')).toBe(1);
    release2();
    expect(await third).not.toBeNull();
    expect(order).toEqual(['second', 'third']);
  });

  it('gives null at once when the slots are held by old (slow) deliveries', async () => {
    // "At once" without a stopwatch: no timer is armed, and the answer is there before any could fire.
    jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask'] });
    try {
      let clock = 1_000;
      const limiter = createWebhookLimiter(1, () => clock);
      await limiter.acquire('slow', 250, 5_000);
      clock += 250;
      const answer = limiter.acquire('slow', 250, 5_000);
      expect(jest.getTimerCount()).toBe(0);
      expect(await Promise.race([answer, Promise.resolve('still waiting')])).toBeNull();
      expect(await limiter.acquire('other', 250, 5_000)).not.toBeNull();
    } finally {
      jest.useRealTimers();
    }
  });

  it('gives null when no slot frees within the longest wait, and forgets the waiter', async () => {
    const limiter = createWebhookLimiter(1);
    const held = (await limiter.acquire('a', 1_000, 30))!;
    expect(await limiter.acquire('a', 1_000, 30)).toBeNull();
    held();
    expect(limiter.inFlight('a')).toBe(0);
    expect(limiter.tryAcquire('a')).not.toBeNull();
  });

  it('stops waiting once the deliveries in flight turn slow', async () => {
    let clock = 1_000;
    const limiter = createWebhookLimiter(1, () => clock);
    await limiter.acquire('a', 20, 5_000);
    const waiting = limiter.acquire('a', 20, 5_000);
    clock += 20;
    expect(await waiting).toBeNull();
  });

  it('with a wait of 0 behaves as tryAcquire', async () => {
    const limiter = createWebhookLimiter(1);
    await limiter.acquire('a', 0, 0);
    expect(await limiter.acquire('a', 0, 0)).toBeNull();
  });
});

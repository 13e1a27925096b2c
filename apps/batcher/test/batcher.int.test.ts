import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createKeys, createRedisClient, type Redis } from '@outboundiq/core';
import { deleteKeys, sampleDial, sleep, uniquePrefix, waitFor } from '@outboundiq/testkit';
import { REDIS_URL, companyIn, publishDials, startTestBatcher, type TestBatcher } from './harness.js';

describe('the claim loop over 16 shards (one Redis)', () => {
  const prefix = uniquePrefix('batcher-loop');
  const keys = createKeys(prefix, 16);
  let batcher: TestBatcher;

  beforeAll(() => {
    batcher = startTestBatcher(keys, (name) => createRedisClient({ url: REDIS_URL, role: 'worker', name }), { idleCheckMs: 1_000 });
  });

  afterAll(async () => {
    await batcher.close();
    const redis = createRedisClient({ url: REDIS_URL, role: 'worker', name: 'test-batcher-loop-cleanup' });
    await deleteKeys(redis, prefix);
    await redis.quit();
  });

  it('idle, calls the claim script a few times a second, not on every shard every few ms', async () => {
    await sleep(2_000);
    // Each shard once at start, once when the subscription is live, then once per idle check.
    expect(batcher.claimCalls.length).toBeLessThan(100);
  });

  it('claims a dial published into an empty shard, and its job goes to that shard\'s queue', async () => {
    const company = companyIn(keys, 9, 'loop');
    await batcher.store.create(company, { name: 'hook', url: 'https://hooks.example.com/a', headers: {}, enabled: true });
    expect(await publishDials(batcher.redis, keys, [sampleDial(company, 1)])).toBe(true);
    await waitFor(() => batcher.claimed.includes(company), 10_000, 'the company to be claimed');
    await waitFor(async () => (await batcher.queues[9]!.getWaitingCount()) === 1, 10_000, 'one job in shard 9\'s queue');
    const others = await Promise.all(batcher.queues.map((queue, shard) => (shard === 9 ? 0 : queue.getWaitingCount())));
    expect(others.every((n) => n === 0)).toBe(true);
    await waitFor(async () => (await (batcher.redis as Redis).xlen(keys.dials(company))) === 0, 10_000, 'the entry to be acknowledged');
  });
});

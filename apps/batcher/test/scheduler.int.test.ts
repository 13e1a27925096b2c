import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { BATCHER_GROUP, createKeys, createRedisClient, type Keys, type Redis } from '@outboundiq/core';
import { deleteKeys, uniquePrefix, waitFor } from '@outboundiq/testkit';
import { createScheduler, type Scheduler } from '../src/scheduler.js';
import { createStreamReader } from '../src/streams.js';
import { REDIS_URL, companyIn } from './harness.js';

const SHARDS = 4;
const LEASE_MS = 30_000;

describe('scheduler and reads, per shard (one Redis, S = 4)', () => {
  const prefix = uniquePrefix('batcher-scheduler');
  const keys: Keys = createKeys(prefix, SHARDS);
  let redis: Redis;
  let subscriber: Redis;
  let scheduler: Scheduler;
  const messages: string[] = [];

  beforeAll(async () => {
    redis = createRedisClient({ url: REDIS_URL, role: 'worker', name: 'test-batcher-scheduler' });
    subscriber = createRedisClient({ url: REDIS_URL, role: 'worker', name: 'test-batcher-scheduler-sub' });
    subscriber.on('message', (_channel: string, message: string) => messages.push(message));
    await subscriber.subscribe(keys.wakeChannel());
    scheduler = createScheduler(redis, keys, { maxWaitMs: 0, leaseMs: LEASE_MS, token: 'me' });
  });

  afterAll(async () => {
    await deleteKeys(redis, prefix);
    await Promise.all([redis.quit(), subscriber.quit()]);
  });

  /** A company with one entry, ready since `ageMs` ago (what the producer leaves behind). */
  const ready = async (company: string, ageMs = 1_000) => {
    const [seconds] = await redis.time();
    await redis.xadd(keys.dials(company), '*', 'd', '[]', 't', '0');
    await redis.zadd(keys.shardOfCompany(company).ready(), Number(seconds) * 1_000 - ageMs, company);
  };
  /** Each test leaves the scheduler's keys of every shard empty. */
  const clearShards = async () => {
    await redis.del(...keys.allShards().flatMap((shard) => [shard.ready(), shard.leases(), shard.owners()]));
  };
  /** Every wake message up to a marker published now: pub/sub keeps the server's order. */
  const wakesSoFar = async () => {
    const marker = `marker-${messages.length}-${Date.now()}`;
    await redis.publish(keys.wakeChannel(), marker);
    await waitFor(() => messages.includes(marker), 5_000, 'the marker message');
    return messages.splice(0).filter((m) => m !== marker);
  };

  it('claims from the shard it is given only, and says when that shard has nothing', async () => {
    const [a0, a1, a2] = [companyIn(keys, 0, 'claim'), companyIn(keys, 1, 'claim'), companyIn(keys, 2, 'claim')];
    await Promise.all([ready(a0), ready(a1), ready(a2)]);
    const claimed = await scheduler.claim(1, 10);
    expect(claimed.claims).toEqual([{ companySlug: a1, shard: 1, kind: 'fresh' }]);
    expect(await redis.zscore(keys.shard(1).leases(), a1)).not.toBeNull();
    expect(await redis.hget(keys.shard(1).owners(), a1)).toBe('me');
    expect(await redis.zrange(keys.shard(0).ready(), '0', '-1')).toEqual([a0]);
    expect(await redis.zrange(keys.shard(2).ready(), '0', '-1')).toEqual([a2]);
    expect(await scheduler.claim(3, 10)).toEqual({ claims: [], waitMs: -1 });
    await clearShards();
  });

  it('answers 0 when it took its limit, else when the shard\'s next company is due', async () => {
    const [b, c, d] = ['wait-b', 'wait-c', 'wait-d'].map((name) => companyIn(keys, 3, name)) as [string, string, string];
    await Promise.all([ready(b, 10_000), ready(c, 10_000), ready(d, 0)]);
    const first = await scheduler.claim(3, 1, 5_000);
    expect(first.claims).toHaveLength(1);
    expect(first.waitMs).toBe(0);
    const second = await scheduler.claim(3, 10, 5_000);
    expect(second.claims).toHaveLength(1);
    expect(second.waitMs).toBeGreaterThan(3_000);
    expect(second.waitMs).toBeLessThanOrEqual(5_000);
    await clearShards();
  });

  it('marks a company ready again on release when dials arrived meanwhile, waking its shard when it is the only one', async () => {
    const [e, f] = [companyIn(keys, 2, 'release-e'), companyIn(keys, 2, 'release-f')];
    await wakesSoFar();
    await ready(e);
    expect((await scheduler.claim(2, 10)).claims.map((x) => x.companySlug)).toEqual([e]);
    expect(await scheduler.release(e)).toBe('ready-again'); // its entry was never read
    expect(await redis.zrange(keys.shard(2).ready(), '0', '-1')).toEqual([e]);
    expect(await wakesSoFar()).toEqual(['2']);

    // With e still ready, f coming back is no news: nobody found the shard empty since.
    await ready(f);
    await redis.zrem(keys.shard(2).ready(), f);
    await redis.zadd(keys.shard(2).leases(), Date.now() + LEASE_MS, f);
    await redis.hset(keys.shard(2).owners(), f, 'me');
    expect(await scheduler.release(f)).toBe('ready-again');
    expect(await wakesSoFar()).toEqual([]);

    // Nothing new: plain release, no message. Another batcher's company: not ours to release.
    const claims = (await scheduler.claim(2, 10)).claims.map((x) => x.companySlug).sort();
    expect(claims).toEqual([e, f].sort());
    await redis.xtrim(keys.dials(e), 'MAXLEN', 0);
    expect(await scheduler.release(e)).toBe('released');
    expect(await createScheduler(redis, keys, { maxWaitMs: 0, leaseMs: LEASE_MS, token: 'other' }).release(f)).toBe('lost');
    expect(await scheduler.release(f)).toBe('ready-again');
    expect(await wakesSoFar()).toEqual(['2']);
    await clearShards();
  });

  it('renews the claims it holds with one call per shard', async () => {
    const [g0, g3, h3] = [companyIn(keys, 0, 'renew'), companyIn(keys, 3, 'renew'), companyIn(keys, 3, 'renew-h')];
    await Promise.all([ready(g0), ready(g3), ready(h3)]);
    await scheduler.claim(0, 10);
    await scheduler.claim(3, 10);
    const before = Number(await redis.zscore(keys.shard(3).leases(), g3));
    await new Promise((resolve) => setTimeout(resolve, 20));
    const calls = jest.spyOn(redis as unknown as { oiqRenew: (...args: unknown[]) => Promise<number> }, 'oiqRenew');
    expect(await scheduler.renew(new Set([g0, g3, h3, companyIn(keys, 3, 'never-claimed')]))).toBe(3);
    expect(calls).toHaveBeenCalledTimes(2);
    calls.mockRestore();
    expect(Number(await redis.zscore(keys.shard(3).leases(), g3))).toBeGreaterThan(before);
    await clearShards();
  });

  it('reads a company stream only while holding its claim in the company\'s shard', async () => {
    const company = companyIn(keys, 1, 'read');
    await redis.xgroup('CREATE', keys.dials(company), BATCHER_GROUP, '0', 'MKSTREAM');
    await ready(company);
    const reader = createStreamReader(redis, keys, 'me');
    expect((await reader.readNew(company, 10)).owned).toBe(false);
    await scheduler.claim(1, 10);
    const pass = await reader.readNew(company, 10);
    expect(pass.owned).toBe(true);
    expect(pass.entries).toHaveLength(1);
    expect(await createStreamReader(redis, keys, 'other').reclaim(company, 10)).toEqual({ entries: [], webhookRecords: [], owned: false });
    await redis.xack(keys.dials(company), BATCHER_GROUP, pass.entries[0]!.id);
    await redis.xdel(keys.dials(company), pass.entries[0]!.id);
    expect(await scheduler.release(company)).toBe('released');
    await clearShards();
  });
  it('reads, acknowledges and releases many companies of a shard in one call each, leaving alone one it does not hold', async () => {
    const [a, b, c, stranger] = ['round-a', 'round-b', 'round-c', 'round-x'].map((name) => companyIn(keys, 2, name)) as [string, string, string, string];
    for (const company of [a, b, c, stranger]) await ready(company);
    await redis.xgroup('CREATE', keys.dials(stranger), BATCHER_GROUP, '0', 'MKSTREAM');
    const reader = createStreamReader(redis, keys, 'me');
    const claims = (await scheduler.claim(2, 3)).claims;
    const claimed = claims.map((x) => x.companySlug);
    const held = [a, b, c].filter((x) => claimed.includes(x));
    expect(held.length).toBeGreaterThanOrEqual(2);
    // The stranger is not claimed by this batcher (it waits in ready): its part of the read is empty and not owned.
    const reads = await reader.readRound(2, [...held, stranger].map((companySlug) => ({ companySlug, recover: false })), 10);
    expect(reads.map((r) => [r.companySlug, r.owned, r.entries.length])).toEqual([...held.map((x) => [x, true, 1]), [stranger, false, 0]]);
    // Dials arrive for the first held company meanwhile: it comes back ready, the others are released.
    await redis.xadd(keys.dials(held[0]!), '*', 'd', '[]', 't', '0');
    const poison = { entryId: reads[1]!.entries[0]!.id, reason: 'test poison', raw: 'x' };
    const outcomes = await scheduler.finishRound(2, held.map((companySlug, i) => ({ companySlug, entryIds: reads[i]!.entries.map((e) => e.id), poison: i === 1 ? [poison] : [] })), 100);
    expect(outcomes).toEqual(['ready-again', ...held.slice(1).map(() => 'released')]);
    for (const company of held) expect(await redis.xpending(keys.dials(company), BATCHER_GROUP)).toEqual([0, null, null, null]);
    expect(await redis.xlen(keys.dials(held[1]!))).toBe(0);
    const dead = await redis.xrange(keys.deadLetters(held[1]!), '-', '+');
    expect(dead.map(([, fields]) => fields.slice(0, 4))).toEqual([['entryId', poison.entryId, 'reason', 'test poison']]);
    expect(await redis.hlen(keys.shard(2).owners())).toBe(0);
    expect(await redis.zcard(keys.shard(2).leases())).toBe(0);
    expect(await redis.zscore(keys.shard(2).ready(), held[0]!)).not.toBeNull();
    await clearShards();
  });
});

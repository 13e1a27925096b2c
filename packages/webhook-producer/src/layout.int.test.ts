import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { KEY_LAYOUT_VERSION, createKeys, createRedisClient, ensureLayout, type Redis } from '@outboundiq/core';
import { deleteKeys, uniquePrefix } from '@outboundiq/testkit';
import { REDIS_URL, dial, enableCompanies, storedDials } from './harness.test-util.js';
import { createDialProducer, type DialProducer } from './index.js';

describe('the producer and the stored key layout', () => {
  let redis: Redis;
  const prefixes: string[] = [];
  const producers: DialProducer[] = [];
  const fresh = () => {
    const prefix = uniquePrefix(`layout${prefixes.length}`);
    prefixes.push(prefix);
    const producer = createDialProducer({ redisUrl: REDIS_URL, keyPrefix: prefix });
    producers.push(producer);
    return { prefix, producer };
  };
  const keysUnder = async (prefix: string) => (await redis.scan('0', 'MATCH', `${prefix}:*`, 'COUNT', 10_000))[1];

  beforeAll(() => {
    redis = createRedisClient({ url: REDIS_URL, role: 'worker', name: 'layout-test' });
  });
  afterEach(async () => {
    await Promise.all(producers.splice(0).map((p) => p.close()));
    for (const prefix of prefixes.splice(0)) await deleteKeys(redis, prefix);
  });
  afterAll(async () => {
    await redis.quit();
  });

  it('skips every dial while no layout is stored, writes nothing, and publishes the very next call once a webhook exists', async () => {
    const { prefix, producer } = fresh();
    await expect(producer.publish(dial())).resolves.toEqual({ enqueued: false, reason: 'no-enabled-webhook' });
    await expect(producer.publishMany([dial(), dial({ companySlug: 'other' })])).resolves.toEqual({ enqueued: 0, skipped: 2 });
    expect(await keysUnder(prefix)).toEqual([]);

    // The admin stores the layout and a webhook: the very next dial goes in (an absence remembered
    // for a while would skip dials of a webhook that already exists).
    const keys = createKeys(prefix, 1);
    await ensureLayout(redis, keys);
    await enableCompanies({ admin: redis, keys }, ['acme']);
    await expect(producer.publish(dial())).resolves.toEqual({ enqueued: true });
    expect(await redis.xlen(keys.dials('acme'))).toBe(1);
  });

  it('rejects every call while Redis holds a layout of another version, naming both', async () => {
    const { prefix, producer } = fresh();
    const other = KEY_LAYOUT_VERSION + 1;
    await redis.hset(`${prefix}:layout`, 'shards', 1, 'version', other);
    const expected = new RegExp(`layout ${other}\\b.*this producer writes layout ${KEY_LAYOUT_VERSION}\\b.*upgrade @outboundiq/webhook-producer`);
    await expect(producer.publish(dial())).rejects.toThrow(expected);
    await expect(producer.publishMany([dial()])).rejects.toThrow(expected);
    expect(await keysUnder(prefix)).toEqual([`${prefix}:layout`]);
  });

  it('learns S from Redis: with S = 4 stored, dials land in the stream of the company\'s shard', async () => {
    const { prefix, producer } = fresh();
    const keys = createKeys(prefix, 4);
    await ensureLayout(redis, keys);
    const companies = ['acme', 'other', 'third', 'fourth', 'fifth', 'sixth'];
    await enableCompanies({ admin: redis, keys }, companies);
    expect(new Set(companies.map((c) => keys.shardOf(c))).size).toBeGreaterThan(1);
    await producer.publish(dial());
    expect(await producer.publishMany(companies.map((c) => dial({ companySlug: c, callId: `many-${c}` })))).toEqual({ enqueued: companies.length, skipped: 0 });
    for (const company of companies) {
      const ids = (await storedDials(redis, keys, company)).map((d) => d.callId);
      expect(ids).toEqual(company === 'acme' ? ['AB12345', 'many-acme'] : [`many-${company}`]);
      expect(await redis.zscore(keys.shardOfCompany(company).ready(), company)).not.toBeNull();
    }
    // Nothing went to the keys S = 1 would use.
    expect(await redis.exists(createKeys(prefix, 1).dials('acme'))).toBe(0);
  });
});

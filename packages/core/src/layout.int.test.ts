import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ConfigError, KEY_LAYOUT_VERSION, createKeys, createRedisClient, ensureLayout, prepareRedis, readLayout, type Redis } from './index.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

describe('the stored layout (S and the key layout version)', () => {
  const base = `test-layout-${process.pid}-${Date.now().toString(36)}`;
  let redis: Redis;
  const keysUnder = async (prefix: string) => (await redis.keys(`${prefix}:*`)).sort();

  beforeAll(() => {
    redis = createRedisClient({ url: REDIS_URL, role: 'worker', name: 'layout-test' });
  });
  afterAll(async () => {
    const left = await redis.keys(`${base}*`);
    if (left.length > 0) await redis.del(...left);
    await redis.quit();
  });

  it('is stored by the first process and accepted by every later one with the same S', async () => {
    const prefix = `${base}-a`;
    expect(await readLayout(redis, createKeys(prefix, 4))).toBeNull();
    await expect(prepareRedis(redis, createKeys(prefix, 4))).resolves.toEqual({ shards: 4, version: KEY_LAYOUT_VERSION });
    await expect(ensureLayout(redis, createKeys(prefix, 4))).resolves.toEqual({ shards: 4, version: KEY_LAYOUT_VERSION });
    expect(await readLayout(redis, createKeys(prefix, 1))).toEqual({ shards: 4, version: KEY_LAYOUT_VERSION });
  });

  it('refuses another S, naming both values, and changes nothing', async () => {
    const prefix = `${base}-b`;
    await ensureLayout(redis, createKeys(prefix, 16));
    const before = await redis.hgetall(`${prefix}:layout`);
    const attempt = ensureLayout(redis, createKeys(prefix, 4));
    await expect(attempt).rejects.toBeInstanceOf(ConfigError);
    await expect(attempt).rejects.toThrow(/SHARDS is 4 .*SHARDS=16/);
    expect(await redis.hgetall(`${prefix}:layout`)).toEqual(before);
  });

  it('refuses another layout version, naming both', async () => {
    const prefix = `${base}-c`;
    await redis.hset(`${prefix}:layout`, 'shards', '1', 'version', '99');
    await expect(ensureLayout(redis, createKeys(prefix, 1))).rejects.toThrow(new RegExp(`layout 99 .*layout ${KEY_LAYOUT_VERSION}`));
  });

  it('refuses data of key layout 1 instead of ignoring it, and writes nothing', async () => {
    const prefix = `${base}-d`;
    await redis.sadd(`${prefix}:companies:enabled`, 'acme');
    await expect(prepareRedis(redis, createKeys(prefix, 1))).rejects.toThrow(/key layout 1 .*companies:enabled/);
    expect(await keysUnder(prefix)).toEqual([`${prefix}:companies:enabled`]);
  });
});

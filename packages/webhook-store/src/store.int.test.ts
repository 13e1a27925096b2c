import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { SecretBox, createKeys, createRedisClient, type RedisClient } from '@outboundiq/core';
import { TEST_BACKENDS, connectBackend, deleteKeys, uniquePrefix } from '@outboundiq/testkit';
import { WebhookLimitError, createWebhookStore, type WebhookStore } from './index.js';

const input = (name: string, enabled = true) => ({ name, url: `https://example.com/${name}`, headers: {}, enabled });

describe.each(TEST_BACKENDS)('webhook store on $label', (backend) => {
  const prefix = uniquePrefix('store');
  const keys = createKeys(prefix, backend.shards);
  let redis: RedisClient;
  let store: WebhookStore;
  const enabledSet = async () => (await Promise.all(keys.allShards().map((s) => redis.smembers(s.enabledCompanies())))).flat();

  beforeAll(async () => {
    redis = createRedisClient({ ...(await connectBackend(backend)).target, role: 'worker', name: 'store-test' });
    store = createWebhookStore({ redis, keys, secretBox: new SecretBox(randomBytes(32)) });
  });
  afterAll(async () => {
    await deleteKeys(redis, prefix);
    await redis.quit();
  });

  it('never lets racing creates make a 4th webhook', async () => {
    const results = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => store.create('race', input(`w${i}`))));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(rejected).toHaveLength(9);
    for (const r of rejected) expect(r.reason).toBeInstanceOf(WebhookLimitError);
    expect(await store.list('race')).toHaveLength(3);
  });

  it('keeps the enabled-companies index in step with every change', async () => {
    const { webhook: a } = await store.create('idx', input('a', false));
    expect(await enabledSet()).not.toContain('idx');
    const { webhook: b } = await store.create('idx', input('b'));
    expect(await enabledSet()).toContain('idx');
    await store.update('idx', b.id, { enabled: false });
    expect(await enabledSet()).not.toContain('idx');
    await store.update('idx', a.id, { enabled: true });
    expect(await enabledSet()).toContain('idx');
    await store.delete('idx', a.id);
    expect(await enabledSet()).not.toContain('idx');
    await store.delete('idx', b.id);
    expect(await store.list('idx')).toEqual([]);
  });

  it('rotates: the old secret is gone, an edit racing the rotation keeps both', async () => {
    const { webhook, signingSecret } = await store.create('rot', input('r'));
    const [rotated] = await Promise.all([store.rotateSecret('rot', webhook.id), store.update('rot', webhook.id, { name: 'renamed' })]);
    const loaded = await store.loadForDelivery('rot', webhook.id);
    expect(loaded!.signingSecret).toBe(rotated);
    expect(rotated).not.toBe(signingSecret);
    expect(loaded!.webhook.name).toBe('renamed');
    expect(await store.rotateSecret('rot', 'wh_000000000000000000000000')).toBeNull();
    const raw = await redis.hget(keys.webhooks('rot'), webhook.id);
    expect(raw).not.toContain(rotated!);
    expect(raw).not.toContain(signingSecret);
  });
});

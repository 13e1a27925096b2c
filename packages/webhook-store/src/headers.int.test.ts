import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { SecretBox, createKeys, createRedisClient, type RedisClient } from '@outboundiq/core';
import { TEST_BACKENDS, connectBackend, deleteKeys, uniquePrefix } from '@outboundiq/testkit';
import { HeaderValueError, createWebhookStore, type WebhookStore } from './index.js';

const API_KEY = 'sk_live_4f9a1c2e7b3d5f60';
const input = (headers: Record<string, string>) => ({ name: 'CRM', url: 'https://example.com/in', headers, enabled: true });

describe.each(TEST_BACKENDS)('custom header values on $label', (backend) => {
  const prefix = uniquePrefix('headers');
  const keys = createKeys(prefix, backend.shards);
  const box = new SecretBox(randomBytes(32));
  let redis: RedisClient;
  let store: WebhookStore;
  const raw = async (company: string, id: string) => (await redis.hget(keys.webhooks(company), id))!;

  beforeAll(async () => {
    redis = createRedisClient({ ...(await connectBackend(backend)).target, role: 'worker', name: 'headers-test' });
    store = createWebhookStore({ redis, keys, secretBox: box });
  });
  afterAll(async () => {
    await deleteKeys(redis, prefix);
    await redis.quit();
  });

  it('stores values sealed, answers them masked, and opens them for the sender only', async () => {
    const { webhook } = await store.create('seal', input({ 'X-Api-Key': API_KEY, 'X-Short': 'abc' }));
    expect(webhook.headers).toEqual({ 'X-Api-Key': '••••5f60', 'X-Short': '••••' });
    expect(await store.list('seal')).toEqual([webhook]);
    const stored = await raw('seal', webhook.id);
    expect(stored).not.toContain(API_KEY);
    expect(JSON.parse(stored).sealedHeaders['X-Api-Key']).toMatch(/^v1\./);
    expect((await store.loadForDelivery('seal', webhook.id))!.webhook.headers).toEqual({ 'X-Api-Key': API_KEY, 'X-Short': 'abc' });
  });

  it('binds each sealed value to its webhook and header name', async () => {
    const { webhook: a } = await store.create('bind', input({ 'X-A': API_KEY, 'X-B': 'other-value' }));
    const { webhook: b } = await store.create('bind', input({ 'X-A': 'b-value' }));
    const recordA = JSON.parse(await raw('bind', a.id));
    // A's sealed X-A copied onto B, and A's X-A copied under A's X-B: neither opens.
    const recordB = JSON.parse(await raw('bind', b.id));
    await redis.hset(keys.webhooks('bind'), b.id, JSON.stringify({ ...recordB, sealedHeaders: { 'X-A': recordA.sealedHeaders['X-A'] } }));
    await expect(store.loadForDelivery('bind', b.id)).rejects.toThrow(/does not decrypt/);
    await redis.hset(keys.webhooks('bind'), a.id, JSON.stringify({ ...recordA, sealedHeaders: { ...recordA.sealedHeaders, 'X-B': recordA.sealedHeaders['X-A'] } }));
    await expect(store.loadForDelivery('bind', a.id)).rejects.toThrow(/does not decrypt/);
  });

  it('reads a webhook stored with values in clear, and seals them on its next write', async () => {
    for (const write of [
      (id: string) => store.update('legacy', id, { name: 'renamed' }),
      (id: string) => store.update('legacy', id, { enabled: false }),
      (id: string) => store.rotateSecret('legacy', id),
    ]) {
      const { webhook } = await store.create('legacy', input({}));
      // As an admin before sealed values wrote it: headers in clear, no sealedHeaders.
      const { sealedHeaders: _none, ...old } = JSON.parse(await raw('legacy', webhook.id));
      await redis.hset(keys.webhooks('legacy'), webhook.id, JSON.stringify({ ...old, headers: { 'X-Api-Key': API_KEY } }));
      expect((await store.get('legacy', webhook.id))!.headers).toEqual({ 'X-Api-Key': '••••5f60' });
      expect((await store.loadForDelivery('legacy', webhook.id))!.webhook.headers).toEqual({ 'X-Api-Key': API_KEY });

      await write(webhook.id);
      expect(await raw('legacy', webhook.id)).not.toContain(API_KEY);
      expect((await store.get('legacy', webhook.id))!.headers).toEqual({ 'X-Api-Key': '••••5f60' });
      expect((await store.loadForDelivery('legacy', webhook.id))!.webhook.headers).toEqual({ 'X-Api-Key': API_KEY });
      await store.delete('legacy', webhook.id);
    }
  });

  it('keeps a stored value sent back masked, and refuses a masked value with nothing behind it', async () => {
    const { webhook } = await store.create('mask', input({ 'X-Api-Key': API_KEY, 'X-Old': 'old-value' }));
    // The page sends back what it was shown, with one value replaced and a name's case changed.
    const updated = await store.update('mask', webhook.id, { headers: { 'x-api-key': '••••5f60', 'X-Old': 'new-value' } });
    expect(updated!.headers).toEqual({ 'x-api-key': '••••5f60', 'X-Old': '••••' });
    expect((await store.loadForDelivery('mask', webhook.id))!.webhook.headers).toEqual({ 'x-api-key': API_KEY, 'X-Old': 'new-value' });

    const refusals: [Record<string, string>, string][] = [
      [{ 'X-New': '••••' }, 'X-New'],
      [{ 'x-api-key': '••••0000' }, 'x-api-key'],
      [{ 'X-Old': '••••5f60' }, 'X-Old'],
    ];
    for (const [headers, name] of refusals) {
      const refused = await store.update('mask', webhook.id, { headers }).catch((err: unknown) => err);
      expect(refused).toBeInstanceOf(HeaderValueError);
      expect((refused as HeaderValueError).header).toBe(name);
    }
    await expect(store.create('mask', input({ 'X-Api-Key': '••••5f60' }))).rejects.toBeInstanceOf(HeaderValueError);
    // Nothing refused changed anything.
    expect((await store.loadForDelivery('mask', webhook.id))!.webhook.headers).toEqual({ 'x-api-key': API_KEY, 'X-Old': 'new-value' });
  });

  it('lets a header edit, a rotation and renames racing each other all land', async () => {
    const { webhook, signingSecret } = await store.create('race', input({ 'X-Api-Key': 'first-value' }));
    const results = await Promise.all([
      store.update('race', webhook.id, { headers: { 'X-Api-Key': API_KEY } }),
      store.rotateSecret('race', webhook.id),
      ...Array.from({ length: 8 }, (_, i) => store.update('race', webhook.id, { name: `name-${i}` })),
    ]);
    const loaded = (await store.loadForDelivery('race', webhook.id))!;
    expect(loaded.webhook.headers).toEqual({ 'X-Api-Key': API_KEY });
    expect(loaded.signingSecret).toBe(results[1]);
    expect(loaded.signingSecret).not.toBe(signingSecret);
    expect(loaded.webhook.name).toMatch(/^name-\d$/);
  });
});

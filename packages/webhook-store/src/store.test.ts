import { describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { SecretBox, createKeys, type Redis } from '@outboundiq/core';
import RedisMock from 'ioredis-mock';
import { createWebhookStore, enabledWebhookIds } from './index.js';

// The read paths are plain hashes, which ioredis-mock honestly stands in for. The write paths are
// Lua scripts (limits, the enabled index) and are tested against real Redis (see store.int.test.ts).
describe('webhook store reads', () => {
  const keys = createKeys('unit');
  const box = new SecretBox(randomBytes(32));
  const record = (id: string, createdAt: string, enabled: boolean) => ({
    id, companySlug: 'acme', name: id, url: `https://example.com/${id}`, headers: { 'X-Key': 'v' }, enabled,
    createdAt, updatedAt: createdAt, sealedSecret: box.seal(`whsec_${id}`, id),
  });

  it('lists oldest first, never with a secret, and opens the secret only for delivery', async () => {
    const redis = new RedisMock() as unknown as Redis;
    const a = record('wh_a', '2026-01-02T00:00:00.000Z', true);
    const b = record('wh_b', '2026-01-01T00:00:00.000Z', false);
    await redis.hset(keys.webhooks('acme'), a.id, JSON.stringify(a), b.id, JSON.stringify(b));
    const store = createWebhookStore({ redis, keys, secretBox: box });

    const listed = await store.list('acme');
    expect(listed.map((w) => w.id)).toEqual(['wh_b', 'wh_a']);
    expect(JSON.stringify(listed)).not.toMatch(/whsec_|sealedSecret/);
    expect(await store.get('acme', 'wh_a')).toEqual(listed[1]);
    expect(await store.get('other', 'wh_a')).toBeNull();
    // These records predate sealed header values (headers in clear): answers mask them all the same,
    // and the sender gets them as stored.
    expect(listed[1]!.headers).toEqual({ 'X-Key': '••••' });
    expect(await store.loadForDelivery('acme', 'wh_a')).toEqual({ webhook: { ...listed[1], headers: { 'X-Key': 'v' } }, signingSecret: 'whsec_wh_a' });
    expect(await store.loadForDelivery('acme', 'wh_x')).toBeNull();
    expect(enabledWebhookIds(await redis.hvals(keys.webhooks('acme')))).toEqual(['wh_a']);
  });
});

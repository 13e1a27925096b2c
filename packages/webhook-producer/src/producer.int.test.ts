import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createKeys, createRedisClient, secretBoxFromEnv, type Redis } from '@outboundiq/core';
import { deleteKeys, startRedisServer, uniquePrefix } from '@outboundiq/testkit';
import { createWebhookStore } from '@outboundiq/webhook-store';
import { createDialProducer, DialValidationError, type DialProducer } from './index.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

const dial = (over: Record<string, unknown> = {}) => ({
  companySlug: 'acme',
  callId: 'AB12345',
  callDirection: 'outbound',
  timestamp: '2026-04-10T18:32:15.000Z',
  ani: '5551234567',
  phone: '5559876543',
  campaign: 'Q2 Outbound Push',
  campaignInternalId: 'abc-123',
  agent: 'Jane Doe',
  disposition: 'Sale',
  dispositionId: '42',
  contact: true,
  success: true,
  isSystemDispo: false,
  totalDialAttempts: 3,
  ...over,
});

describe('the producer library', () => {
  const prefix = uniquePrefix('producer');
  const keys = createKeys(prefix);
  let redis: Redis;
  let producer: DialProducer;
  const storedDials = async (company: string) =>
    (await redis.xrange(keys.dials(company), '-', '+')).flatMap(([, fields]) => JSON.parse(fields[1]!) as Record<string, unknown>[]);

  beforeAll(async () => {
    redis = createRedisClient({ url: REDIS_URL, role: 'worker', name: 'producer-test' });
    const store = createWebhookStore({ redis, keys, secretBox: secretBoxFromEnv(undefined, 'test').box });
    for (const company of ['acme', 'other']) {
      await store.create(company, { name: 'crm', url: 'https://crm.example.com/hook', headers: {}, enabled: true });
    }
    producer = createDialProducer({ redisUrl: REDIS_URL, keyPrefix: prefix });
  });
  afterAll(async () => {
    await producer.close();
    await deleteKeys(redis, prefix);
    await redis.quit();
  });

  it.each([
    ['companySlug', { companySlug: '' }],
    ['companySlug', { companySlug: 'a/b' }],
    ['companySlug', { companySlug: 'x'.repeat(129) }],
    ['callId', { callId: 42 }],
    ['callDirection', { callDirection: undefined }],
    ['timestamp', { timestamp: '2026-04-10T18:32:15' }],
    ['timestamp', { timestamp: 'yesterday' }],
    ['timestamp', { timestamp: new Date(Number.NaN) }],
    ['ani', { ani: '555-1234' }],
    ['phone', { phone: '25559876543' }],
    ['phone', { phone: 5559876543 }],
    ['campaign', { campaign: 'x'.repeat(1025) }],
    ['agent', { agent: ['Jane'] }],
    ['contact', { contact: 'yes' }],
    ['success', { success: undefined }],
    ['isSystemDispo', { isSystemDispo: 0 }],
    ['totalDialAttempts', { totalDialAttempts: -1 }],
    ['totalDialAttempts', { totalDialAttempts: 1.5 }],
  ])('rejects a bad %s with a DialValidationError naming it', async (field, over) => {
    const attempt = producer.publish(dial(over));
    await expect(attempt).rejects.toBeInstanceOf(DialValidationError);
    await expect(attempt).rejects.toThrow(new RegExp(`\\b${field}\\b`));
  });

  it('names every bad field and its index in publishMany, and enqueues nothing', async () => {
    const before = await redis.xlen(keys.dials('acme'));
    const attempt = producer.publishMany([dial(), dial({ phone: '12' }), dial({ contact: null, companySlug: 'other' })]);
    await expect(attempt).rejects.toThrow(/dials\[1\]\.phone/);
    await expect(attempt).rejects.toThrow(/dials\[2\]\.contact/);
    expect(await redis.xlen(keys.dials('acme'))).toBe(before);
    expect(await redis.exists(keys.dials('other'))).toBe(0);
  });

  it('normalises phones and timestamps, drops unknown keys, and fills missing nullable fields with null', async () => {
    await producer.publish(dial({
      companySlug: 'other',
      callId: 'norm',
      ani: '+1 (555) 123-4567',
      phone: '555.987.6543',
      timestamp: new Date('2026-04-10T20:32:15+02:00'),
      campaign: undefined,
      surprise: 'dropped',
    }));
    await producer.publish(dial({ companySlug: 'other', callId: 'zone', timestamp: '2026-04-10T13:32:15.5-05:00', ani: null }));
    const [first, second] = await storedDials('other');
    expect(first).toEqual({ ...dial(), companySlug: 'other', callId: 'norm', ani: '5551234567', phone: '5559876543', timestamp: '2026-04-10T18:32:15.000Z', campaign: null });
    expect(second).toMatchObject({ callId: 'zone', timestamp: '2026-04-10T18:32:15.500Z', ani: null });
  });

  it('publishMany enqueues across companies and counts the skipped ones', async () => {
    const result = await producer.publishMany([dial({ callId: 'm1' }), dial({ companySlug: 'nobody' }), dial({ callId: 'm2', companySlug: 'other' })]);
    expect(result).toEqual({ enqueued: 2, skipped: 1 });
  });

  it('works on its very first call, and once Redis is gone rejects by its own bound instead of waiting', async () => {
    const server = await startRedisServer();
    const own = createRedisClient({ url: server.url, role: 'worker', name: 'producer-outage' });
    await createWebhookStore({ redis: own, keys, secretBox: secretBoxFromEnv(undefined, 'test').box })
      .create('acme', { name: 'crm', url: 'https://crm.example.com/hook', headers: {}, enabled: true });
    own.disconnect();
    const fresh = createDialProducer({ redisUrl: server.url, keyPrefix: prefix, timeoutMs: 1_000 });
    await expect(fresh.publish(dial())).resolves.toEqual({ enqueued: true });
    await server.stop();
    // This Redis never comes back, so rejecting at all is the bound; the reason says which one
    // (the publisher client's retry limit or command timeout), never a wait for Redis.
    const gaveUp = /Command timed out|max retries per request/;
    await expect(fresh.publish(dial())).rejects.toThrow(gaveUp);
    await expect(fresh.publishMany([dial(), dial()])).rejects.toThrow(gaveUp);
    await fresh.close();
  });
});

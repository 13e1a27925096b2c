import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createKeys, createRedisClient, ensureLayout, slotOf, type RedisClient } from '@outboundiq/core';
import { COMPANY_SLUG_CASES, startRedisServer, uniquePrefix, waitFor } from '@outboundiq/testkit';
import type { Command } from 'ioredis';
import { TARGETS, dial, enableCompanies, startTarget, storedDials, type Target } from './harness.test-util.js';
import { createDialProducer, DialValidationError, type DialProducer } from './index.js';

describe.each(TARGETS)('the producer library on %s', (kind) => {
  let target: Target;
  let producer: DialProducer;

  beforeAll(async () => {
    target = await startTarget(kind, 'producer');
    await enableCompanies(target, ['acme', 'other']);
    producer = createDialProducer({ ...target.connection, keyPrefix: target.keys.prefix });
  }, 60_000);
  afterAll(async () => {
    await producer?.close();
    await target?.stop();
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
    const { admin, keys } = target;
    const before = await admin.xlen(keys.dials('acme'));
    const attempt = producer.publishMany([dial(), dial({ phone: '12' }), dial({ contact: null, companySlug: 'other' })]);
    await expect(attempt).rejects.toThrow(/dials\[1\]\.phone/);
    await expect(attempt).rejects.toThrow(/dials\[2\]\.contact/);
    expect(await admin.xlen(keys.dials('acme'))).toBe(before);
    expect(await admin.exists(keys.dials('other'))).toBe(0);
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
    const [first, second] = await storedDials(target.admin, target.keys, 'other');
    expect(first).toEqual({ ...dial(), companySlug: 'other', callId: 'norm', ani: '5551234567', phone: '5559876543', timestamp: '2026-04-10T18:32:15.000Z', campaign: null });
    expect(second).toMatchObject({ callId: 'zone', timestamp: '2026-04-10T18:32:15.500Z', ani: null });
  });

  it('publishMany enqueues across companies and counts the skipped ones', async () => {
    const result = await producer.publishMany([dial({ callId: 'm1' }), dial({ companySlug: 'nobody' }), dial({ callId: 'm2', companySlug: 'other' })]);
    expect(result).toEqual({ enqueued: 2, skipped: 1 });
  });

  it('publishMany spread over many companies puts every dial in its own company stream, in order', async () => {
    const companies = Array.from({ length: 40 }, (_, i) => `spread-${i}`);
    await enableCompanies(target, companies.slice(0, 30));
    // 130 dials for spread-0 make two stream entries (at most 100 dials each).
    const dials = companies.flatMap((c, i) => Array.from({ length: i === 0 ? 130 : 3 }, (_, n) => dial({ companySlug: c, callId: `${c}/${n}` })));
    expect(await producer.publishMany(dials)).toEqual({ enqueued: 130 + 29 * 3, skipped: 10 * 3 });
    expect(new Set(companies.map((c) => target.keys.shardOf(c))).size).toBe(target.keys.shards);
    for (const [i, company] of companies.entries()) {
      const ids = (await storedDials(target.admin, target.keys, company)).map((d) => d.callId);
      expect(ids).toEqual(i < 30 ? dials.filter((d) => d.companySlug === company).map((d) => d.callId) : []);
    }
  });

  it('sends every script call keyed to one slot, and a spread publishMany as one script call per shard', async () => {
    const client = createRedisClient({ ...target.redisTarget, role: 'publisher', name: 'slot-check' });
    await client.ping();
    const sent = recordCommands(client);
    const own = createDialProducer({ redis: client, keyPrefix: target.keys.prefix });
    const companies = Array.from({ length: 30 }, (_, i) => `spread-${i}`);
    await own.publish(dial({ callId: 'slots-1' }));
    await own.publishMany(companies.map((c, i) => dial({ companySlug: c, callId: `slots-${i}` })));
    for (const { keys } of sent) expect(new Set(keys.map(slotOf)).size).toBeLessThanOrEqual(1);
    const shards = new Set(companies.map((c) => target.keys.shardOf(c))).size;
    expect(shards).toBe(target.keys.shards);
    // publish: one script call; publishMany: one per shard, not one per company.
    const scripts = sent.filter((c) => c.name === 'evalsha' || c.name === 'eval');
    expect(scripts).toHaveLength(1 + shards);
    // Each call names the shard's 4 keys and its companies' streams: 1 for publish, 30 for publishMany.
    expect(scripts.reduce((n, c) => n + c.keys.length, 0)).toBe(4 * (1 + shards) + 1 + 30);
    expect(sent.filter((c) => c.name === 'multi')).toHaveLength(0);
    client.disconnect();
  });

  it('wakes the batchers with the shard number when a company becomes ready in an empty shard, and only then', async () => {
    const { admin, keys } = target;
    const company = 'wake-a';
    const sibling = Array.from({ length: 100 }, (_, i) => `wake-${i}`).find((c) => c !== company && keys.shardOf(c) === keys.shardOf(company))!;
    await enableCompanies(target, [company, sibling]);
    const shard = keys.shardOfCompany(company);
    await admin.del(shard.ready());
    const subscriber = createRedisClient({ ...target.redisTarget, role: 'worker', name: 'wake-subscriber' });
    const messages: string[] = [];
    subscriber.on('message', (channel: string, message: string) => channel === keys.wakeChannel() && messages.push(message));
    await subscriber.subscribe(keys.wakeChannel());
    try {
      await producer.publish(dial({ companySlug: company }));
      await waitFor(() => messages.length > 0, 5_000, 'the wake-up');
      await producer.publish(dial({ companySlug: company, callId: 'second' }));
      await producer.publish(dial({ companySlug: sibling }));
      // Published from the shard's own node after the calls above, so it arrives after anything they sent.
      await admin.eval("redis.call('PUBLISH', ARGV[1], ARGV[2])", 1, shard.ready(), keys.wakeChannel(), 'marker');
      await waitFor(() => messages.includes('marker'), 5_000, 'the marker');
      expect(messages).toEqual([String(shard.shard), 'marker']);
    } finally {
      subscriber.disconnect();
    }
  });

  it('appends for a company a batcher holds but leaves it unmarked: the batcher marks it on release', async () => {
    const { admin, keys } = target;
    const company = 'leased';
    await enableCompanies(target, [company]);
    await admin.zadd(keys.shardOfCompany(company).leases(), Date.now() + 60_000, company);
    await expect(producer.publish(dial({ companySlug: company }))).resolves.toEqual({ enqueued: true });
    expect(await admin.xlen(keys.dials(company))).toBe(1);
    expect(await admin.zscore(keys.shardOfCompany(company).ready(), company)).toBeNull();
  });

  // The same table the admin API's tests run: every slug a publisher may send, an operator can manage.
  describe('the shared company slug table', () => {
    const valid = COMPANY_SLUG_CASES.filter((c) => c.valid);
    beforeAll(() => enableCompanies(target, valid.map((c) => c.slug)));

    it.each(valid)('$label: publish and publishMany enqueue it, stored as given', async ({ slug }) => {
      await expect(producer.publish(dial({ companySlug: slug, callId: 'slug-one' }))).resolves.toEqual({ enqueued: true });
      await expect(producer.publishMany([dial({ companySlug: slug, callId: 'slug-many' })])).resolves.toEqual({ enqueued: 1, skipped: 0 });
      const stored = await storedDials(target.admin, target.keys, slug);
      expect(stored.map((d) => [d.companySlug, d.callId])).toEqual([[slug, 'slug-one'], [slug, 'slug-many']]);
    });

    it.each(COMPANY_SLUG_CASES.filter((c) => !c.valid))('$label: a DialValidationError naming companySlug, nothing enqueued', async ({ slug }) => {
      const one = producer.publish(dial({ companySlug: slug }));
      await expect(one).rejects.toBeInstanceOf(DialValidationError);
      await expect(one).rejects.toThrow(/\bcompanySlug\b/);
      await expect(producer.publishMany([dial({ callId: 'slug-bad' }), dial({ companySlug: slug })])).rejects.toThrow(/dials\[1\]\.companySlug/);
      expect((await storedDials(target.admin, target.keys, 'acme')).some((d) => d.callId === 'slug-bad')).toBe(false);
    });
  });
});

describe('the producer library and a Redis that goes away', () => {
  it('works on its very first call, and once Redis is gone rejects by its own bound instead of waiting', async () => {
    const server = await startRedisServer();
    const keys = createKeys(uniquePrefix('producer-outage'));
    const own = createRedisClient({ url: server.url, role: 'worker', name: 'producer-outage' });
    await ensureLayout(own, keys);
    await enableCompanies({ admin: own, keys }, ['acme']);
    own.disconnect();
    const fresh = createDialProducer({ redisUrl: server.url, keyPrefix: keys.prefix, timeoutMs: 1_000 });
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

/** Records the name and keys of every command the client sends (pipelines and MULTIs included). */
function recordCommands(client: RedisClient): { name: string; keys: string[] }[] {
  const sent: { name: string; keys: string[] }[] = [];
  const send = client.sendCommand.bind(client) as (command: Command, ...rest: unknown[]) => unknown;
  (client as { sendCommand: unknown }).sendCommand = (command: Command, ...rest: unknown[]) => {
    sent.push({ name: command.name.toLowerCase(), keys: command.getKeys().map(String) });
    return send(command, ...rest);
  };
  return sent;
}

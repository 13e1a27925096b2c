import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes, randomUUID } from 'node:crypto';
import { SecretBox, createKeys, createRedisClient, type DeliveryAttempt, type DeliveryStatus, type RedisClient } from '@outboundiq/core';
import { TEST_BACKENDS, connectBackend, deleteKeys, uniquePrefix } from '@outboundiq/testkit';
import { createDeliveryLog, createWebhookStore, type DeliveryLog } from './index.js';

const WEBHOOK = 'wh_0123456789abcdef01234567';
const attempt = (statusCode: number, error?: string): DeliveryAttempt => ({ at: new Date().toISOString(), statusCode, durationMs: 12, ...(error ? { error } : {}) });

describe.each(TEST_BACKENDS)('delivery log on $label', (backend) => {
  const prefix = uniquePrefix('dlog');
  const keys = createKeys(prefix, backend.shards);
  let redis: RedisClient;
  let clock = Date.UTC(2026, 3, 10, 18, 0, 0);
  const now = () => clock;
  let log: DeliveryLog;

  const write = async (company: string, status: DeliveryStatus, attempts: DeliveryAttempt[], deliveryId = randomUUID(), into = log) => {
    clock += 1_000;
    await into.record({
      job: { companySlug: company, webhookId: WEBHOOK, deliveryId, dialCount: 3, firstPublishedAt: clock - 5_000, dials: '[{"callId":"c1"}]' },
      status,
      attempts,
      createdAt: clock - 100,
    });
    return deliveryId;
  };

  beforeAll(async () => {
    redis = createRedisClient({ ...(await connectBackend(backend)).target, role: 'worker', name: 'dlog-test' });
    log = createDeliveryLog({ redis, keys, now });
  });
  afterAll(async () => {
    await deleteKeys(redis, prefix);
    await redis.quit();
  });

  it('reads a failed delivery with its attempts, resendable; a resend appends its attempts to the same record', async () => {
    const id = await write('acme', 'failed', [attempt(503, 'HTTP 503'), attempt(503, 'HTTP 503')]);
    const failed = await log.get('acme', WEBHOOK, id);
    expect(failed).toMatchObject({ deliveryId: id, webhookId: WEBHOOK, status: 'failed', dialCount: 3, resendable: true });
    expect(failed!.attempts.map((a) => a.error)).toEqual(['HTTP 503', 'HTTP 503']);

    const claim = await log.claimResend('acme', WEBHOOK, id);
    expect(claim).toMatchObject({ kind: 'ok', job: { deliveryId: id, dials: '[{"callId":"c1"}]', dialCount: 3, companySlug: 'acme', webhookId: WEBHOOK } });
    // Not marked until its job is queued: a resend that could not be queued leaves no resentAt.
    expect((await log.get('acme', WEBHOOK, id))!.resentAt).toBeUndefined();
    await log.markResent('acme', WEBHOOK, [id]);
    expect((await log.get('acme', WEBHOOK, id))!.resentAt).toBeDefined();
    await write('acme', 'delivered', [attempt(200)], id);
    const delivered = await log.get('acme', WEBHOOK, id);
    expect(delivered).toMatchObject({ status: 'delivered', resendable: false, createdAt: failed!.createdAt });
    expect(delivered!.resentAt).toBeDefined();
    expect(delivered!.attempts.map((a) => a.statusCode)).toEqual([503, 503, 200]);
    expect(await log.claimResend('acme', WEBHOOK, id)).toEqual({ kind: 'not_failed' });
    // Delivered: its batch is not kept any more.
    expect(await redis.exists(keys.deliveryLog('acme', WEBHOOK).batch(id))).toBe(0);
  });

  it('lets a webhook\'s log expire with its newest record, and deletes it (records, kept batches) with the webhook', async () => {
    const store = createWebhookStore({ redis, keys, secretBox: new SecretBox(randomBytes(32)) });
    const { webhook } = await store.create('acme-gone', { name: 'CRM', url: 'https://crm.example.com/in', headers: {}, enabled: true });
    const ownLog = (status: DeliveryStatus, attempts: DeliveryAttempt[]) => {
      clock += 1_000;
      const deliveryId = randomUUID();
      return log
        .record({ job: { companySlug: 'acme-gone', webhookId: webhook.id, deliveryId, dialCount: 1, firstPublishedAt: clock, dials: '[{"callId":"c9"}]' }, status, attempts, createdAt: clock })
        .then(() => deliveryId);
    };
    const failedId = await ownLog('failed', [attempt(503, 'HTTP 503'), attempt(503, 'HTTP 503')]);
    const deliveredId = await ownLog('delivered', [attempt(200)]);
    const k = keys.deliveryLog('acme-gone', webhook.id);
    // Nothing of the log outlives its retention (7 days), however long the webhook stays quiet.
    for (const set of [k.all(), k.failed()]) {
      const ttl = await redis.pttl(set);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(7 * 24 * 3_600_000);
    }
    expect(await redis.exists(k.batch(failedId))).toBe(1);

    expect(await store.delete('acme-gone', webhook.id)).toBe(true);
    expect(await redis.exists(k.all(), k.failed(), k.record(failedId), k.batch(failedId), k.record(deliveredId))).toBe(0);
    expect(await log.list('acme-gone', webhook.id, { limit: 100 })).toMatchObject({ deliveries: [] });
  });

  it('keeps a resend that found its webhook disabled failed and resendable', async () => {
    const id = await write('acme-skip', 'failed', [attempt(500, 'HTTP 500'), attempt(500, 'HTTP 500')]);
    await write('acme-skip', 'skipped', [], id);
    expect(await log.get('acme-skip', WEBHOOK, id)).toMatchObject({ status: 'failed', resendable: true });
    expect((await log.stats('acme-skip', WEBHOOK)).last24h).toMatchObject({ failed: 1, skipped: 1 });
  });

  it('keeps the latest N of any status and the latest M failed, and drops the rest with their batches', async () => {
    const small = createDeliveryLog({ redis, keys, now, retention: { keep: 3, keepFailed: 2 } });
    const failed = [];
    for (let i = 0; i < 4; i++) failed.push(await write('acme-trim', 'failed', [attempt(503, 'HTTP 503')], randomUUID(), small));
    const delivered = [];
    for (let i = 0; i < 4; i++) delivered.push(await write('acme-trim', 'delivered', [attempt(200)], randomUUID(), small));
    const all = await small.list('acme-trim', WEBHOOK, { limit: 100 });
    // The latest 3 of any status (delivered) and the latest 2 failed, newest first.
    expect(all.deliveries.map((d) => d.deliveryId)).toEqual([...delivered.slice(1).reverse(), failed[3], failed[2]]);
    for (const id of [failed[0]!, failed[1]!, delivered[0]!]) {
      expect(await small.get('acme-trim', WEBHOOK, id)).toBeNull();
      expect(await redis.exists(keys.deliveryLog('acme-trim', WEBHOOK).batch(id))).toBe(0);
    }
    const k = keys.deliveryLog('acme-trim', WEBHOOK);
    expect(await redis.zcard(k.all())).toBe(3);
    expect(await redis.zcard(k.failed())).toBe(2);
  });

  it('drops records older than the retention, and a failed batch after its own', async () => {
    const short = createDeliveryLog({ redis, keys, retention: { retentionMs: 60_000, batchRetentionMs: 300 } });
    const id = randomUUID();
    await short.record({
      job: { companySlug: 'acme-age', webhookId: WEBHOOK, deliveryId: id, dialCount: 1, firstPublishedAt: Date.now(), dials: '[{}]' },
      status: 'failed',
      attempts: [attempt(503, 'HTTP 503')],
      createdAt: Date.now(),
    });
    expect(await short.get('acme-age', WEBHOOK, id)).toMatchObject({ resendable: true });
    await new Promise((r) => setTimeout(r, 500));
    expect(await short.get('acme-age', WEBHOOK, id)).toMatchObject({ status: 'failed', resendable: false });
    expect(await short.claimResend('acme-age', WEBHOOK, id)).toEqual({ kind: 'gone' });
    expect(await redis.pttl(keys.deliveryLog('acme-age', WEBHOOK).record(id))).toBeGreaterThan(50_000);
  });

  it('counts outcomes by the hour for 24 hours', async () => {
    await write('acme-stats', 'delivered', [attempt(200)]);
    await write('acme-stats', 'delivered', [attempt(200)]);
    await write('acme-stats', 'refused', []);
    clock += 3 * 3_600_000;
    await write('acme-stats', 'failed', [attempt(503, 'HTTP 503')]);
    const stats = await log.stats('acme-stats', WEBHOOK);
    expect(stats.last24h).toEqual({ delivered: 2, failed: 1, refused: 1, skipped: 0, dials: 6 });
    expect(stats.hourly).toHaveLength(24);
    expect(stats.hourly.at(-1)).toMatchObject({ delivered: 0, failed: 1, hour: new Date(Math.floor(clock / 3_600_000) * 3_600_000).toISOString() });
    expect(stats.hourly.at(-4)).toMatchObject({ delivered: 2, failed: 0 });
    // The counters expire: nothing to clean up.
    expect(await redis.pttl(keys.deliveryLog('acme-stats', WEBHOOK).statsHour(Math.floor(clock / 3_600_000)))).toBeGreaterThan(24 * 3_600_000);
  });
});

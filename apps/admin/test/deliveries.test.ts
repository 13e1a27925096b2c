import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import type { DeliveryStatus } from '@outboundiq/core';
import { createDeliveryLog, type DeliveryLog } from '@outboundiq/webhook-store';
import { AUTH, createHarness, validWebhook, type Harness } from './harness.js';

// The delivery log's API (CONTRACT 3.1) on a real Redis. The sender is what writes the log; here
// the store writes it directly (as the sender does), with a short retention where a test needs one.
let h: Harness;
let log: DeliveryLog;
let hookId: string;
let otherHookId: string;
let foreignHookId: string;
const COMPANY = 'acme-log';
const written = new Map<string, DeliveryStatus>();
/** Newest first, as the log lists them. */
const order: string[] = [];

const path = (rest: string, company = COMPANY, hook = hookId) => `/v1/companies/${company}/webhooks/${hook}${rest}`;
const get = (url: string) => h.app.inject({ method: 'GET', url, headers: AUTH });
const post = (url: string, payload?: object) => h.app.inject({ method: 'POST', url, headers: AUTH, ...(payload ? { payload } : {}) });

async function write(status: DeliveryStatus, into = log, webhookId = hookId, company = COMPANY): Promise<string> {
  const deliveryId = randomUUID();
  const attempts = status === 'delivered' ? [{ at: new Date().toISOString(), statusCode: 200, durationMs: 8 }]
    : status === 'failed' ? [1, 2].map(() => ({ at: new Date().toISOString(), statusCode: 503, durationMs: 9, error: 'HTTP 503' }))
      : [];
  await into.record({ job: { companySlug: company, webhookId, deliveryId, dialCount: 2, firstPublishedAt: Date.now(), dials: '[{"callId":"a"},{"callId":"b"}]' }, status, attempts, createdAt: Date.now() });
  // Distinct times, so newest first is one order.
  await new Promise((r) => setTimeout(r, 3));
  return deliveryId;
}

beforeAll(async () => {
  h = createHarness('deliveries');
  log = createDeliveryLog({ redis: h.redis, keys: h.keys });
  const create = async (company: string) => (await h.app.inject({ method: 'POST', url: `/v1/companies/${company}/webhooks`, headers: AUTH, payload: validWebhook() })).json().id as string;
  hookId = await create(COMPANY);
  otherHookId = await create(COMPANY);
  foreignHookId = await create('other-company');
  const statuses: DeliveryStatus[] = ['delivered', 'failed', 'delivered', 'refused', 'skipped', 'delivered', 'failed', 'delivered', 'delivered', 'failed', 'delivered'];
  for (const status of statuses) {
    const id = await write(status);
    written.set(id, status);
    order.unshift(id);
  }
});
afterAll(async () => {
  await h.close();
});

describe('GET .../deliveries', () => {
  it('pages through the whole log newest first with nextCursor, null on the last page', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await get(path(`/deliveries?limit=4${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`));
      expect(res.statusCode).toBe(200);
      const body = res.json() as { deliveries: { deliveryId: string }[]; nextCursor: string | null };
      expect(body.deliveries.length).toBeLessThanOrEqual(4);
      seen.push(...body.deliveries.map((d) => d.deliveryId));
      cursor = body.nextCursor;
      pages++;
    } while (cursor !== null);
    expect(pages).toBe(3);
    expect(seen).toEqual(order);
  });

  it('answers a delivery in the contract\'s shape, no answer body', async () => {
    const res = await get(path('/deliveries?limit=1&status=failed'));
    const [delivery] = res.json().deliveries;
    expect(Object.keys(delivery).sort()).toEqual(['attempts', 'createdAt', 'deliveryId', 'dialCount', 'finishedAt', 'firstPublishedAt', 'resendable', 'status', 'webhookId'].sort());
    expect(delivery).toMatchObject({ webhookId: hookId, status: 'failed', dialCount: 2, resendable: true });
    expect(delivery.attempts).toEqual([1, 2].map(() => ({ at: expect.any(String), statusCode: 503, durationMs: 9, error: 'HTTP 503' })));
  });

  it('filters by status, across pages too', async () => {
    for (const status of ['delivered', 'failed', 'refused', 'skipped'] as const) {
      const expected = order.filter((id) => written.get(id) === status);
      const ids: string[] = [];
      let cursor: string | null = null;
      do {
        const body: { deliveries: { deliveryId: string; status: string }[]; nextCursor: string | null } =
          (await get(path(`/deliveries?status=${status}&limit=2${cursor ? `&cursor=${cursor}` : ''}`))).json();
        for (const d of body.deliveries) expect(d.status).toBe(status);
        ids.push(...body.deliveries.map((d) => d.deliveryId));
        cursor = body.nextCursor;
      } while (cursor !== null);
      expect(ids).toEqual(expected);
    }
  });

  it('defaults to 50 and answers an empty log as empty', async () => {
    expect((await get(path('/deliveries'))).json().deliveries).toHaveLength(order.length);
    expect((await get(path('/deliveries', COMPANY, otherHookId))).json()).toEqual({ deliveries: [], nextCursor: null });
  });

  it.each([
    ['status=lost', 'status'],
    ['status=', 'status'],
    ['limit=0', 'limit'],
    ['limit=101', 'limit'],
    ['limit=ten', 'limit'],
    ['limit=2.5', 'limit'],
    ['cursor=not-a-cursor', 'cursor'],
    [`cursor=${Buffer.from('123.abc').toString('base64url')}`, 'cursor'],
  ])('answers ?%s with 400 naming %s', async (query, field) => {
    const res = await get(path(`/deliveries?${query}`));
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'invalid_request', message: expect.stringContaining(`${field}:`), details: [expect.objectContaining({ field })] });
  });
});

describe('GET .../deliveries/:deliveryId', () => {
  it('reads one delivery with its attempts', async () => {
    const id = order[0]!;
    const res = await get(path(`/deliveries/${id}`));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ deliveryId: id, status: written.get(id) });
  });

  it('answers 404 for an unknown id, another webhook\'s, another company\'s', async () => {
    const id = order[0]!;
    const foreignId = await write('failed', log, foreignHookId, 'other-company');
    const cases = [
      path(`/deliveries/${randomUUID()}`),
      path('/deliveries/not-an-id'),
      path(`/deliveries/${id}`, COMPANY, otherHookId),
      path(`/deliveries/${id}`, 'other-company', foreignHookId),
      path(`/deliveries/${foreignId}`),
      // Another company's webhook id under this company: the webhook is not found.
      path(`/deliveries/${foreignId}`, COMPANY, foreignHookId),
      path('/deliveries', COMPANY, foreignHookId),
      path('/stats', COMPANY, foreignHookId),
    ];
    for (const url of cases) {
      const res = await get(url);
      expect({ url, status: res.statusCode, code: res.json().error?.code }).toEqual({ url, status: 404, code: 'not_found' });
    }
    for (const url of [path(`/deliveries/${foreignId}/resend`), path(`/deliveries/${foreignId}/resend`, COMPANY, foreignHookId), path('/resend-failed', COMPANY, foreignHookId)]) {
      const res = await post(url, url.endsWith('resend-failed') ? { since: new Date(0).toISOString() } : undefined);
      expect({ url, status: res.statusCode }).toEqual({ url, status: 404 });
    }
  });

  it('needs a token like every route', async () => {
    const res = await h.app.inject({ method: 'GET', url: path('/deliveries') });
    expect(res.statusCode).toBe(401);
  });
});

describe('POST .../resend', () => {
  it('queues the same deliveryId and dials on the shard\'s queue, once however often it is clicked', async () => {
    const id = order.find((d) => written.get(d) === 'failed')!;
    const first = await post(path(`/deliveries/${id}/resend`));
    expect(first.statusCode).toBe(202);
    expect(first.json()).toEqual({ deliveryId: id });
    expect((await post(path(`/deliveries/${id}/resend`))).statusCode).toBe(202);
    const jobs = (await h.queue.getJobs(['waiting', 'delayed', 'prioritized'])).filter((j) => j.data.deliveryId === id);
    expect(jobs).toHaveLength(1);
    const [job] = jobs;
    expect(job!.id).not.toContain(':');
    expect(job!.data).toEqual({ v: 1, companySlug: COMPANY, webhookId: hookId, deliveryId: id, dials: '[{"callId":"a"},{"callId":"b"}]', dialCount: 2, firstPublishedAt: expect.any(Number) });
    // No secret, no URL, no header in the job: the sender loads the webhook when it sends.
    expect(JSON.stringify(job!.data)).not.toMatch(/secret|https:|k-123/);
    expect((await get(path(`/deliveries/${id}`))).json().resentAt).toEqual(expect.any(String));
  });

  it('answers 409 not_failed for a delivery that did not fail', async () => {
    for (const status of ['delivered', 'refused', 'skipped'] as const) {
      const id = order.find((d) => written.get(d) === status)!;
      const res = await post(path(`/deliveries/${id}/resend`));
      expect(res.statusCode).toBe(409);
      expect(res.json().error.code).toBe('not_failed');
    }
  });

  it('answers 404 for an unknown delivery', async () => {
    const res = await post(path(`/deliveries/${randomUUID()}/resend`));
    expect(res.statusCode).toBe(404);
  });

  it('answers 410 gone once the batch is past its retention (short retention here)', async () => {
    const short = createDeliveryLog({ redis: h.redis, keys: h.keys, retention: { batchRetentionMs: 200 } });
    const id = await write('failed', short);
    expect((await get(path(`/deliveries/${id}`))).json().resendable).toBe(true);
    await new Promise((r) => setTimeout(r, 400));
    const delivery = (await get(path(`/deliveries/${id}`))).json();
    expect(delivery).toMatchObject({ status: 'failed', resendable: false });
    const res = await post(path(`/deliveries/${id}/resend`));
    expect(res.statusCode).toBe(410);
    expect(res.json().error).toMatchObject({ code: 'gone', message: expect.stringContaining('no longer kept') });
  });
});

describe('POST .../resend-failed', () => {
  it('queues every kept failed delivery since the time given', async () => {
    const company = 'acme-bulk';
    const hook = (await h.app.inject({ method: 'POST', url: `/v1/companies/${company}/webhooks`, headers: AUTH, payload: validWebhook() })).json().id as string;
    await write('failed', log, hook, company);
    const since = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 5));
    const recent = [await write('failed', log, hook, company), await write('failed', log, hook, company)];
    await write('delivered', log, hook, company);
    const res = await post(path('/resend-failed', company, hook), { since });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toEqual({ queued: 2 });
    const queued = (await h.queue.getJobs(['waiting'])).filter((j) => j.data.webhookId === hook).map((j) => j.data.deliveryId);
    expect(queued.sort()).toEqual([...recent].sort());
  });

  it.each([
    [undefined, 'body'],
    [{}, 'since'],
    [{ since: 'yesterday' }, 'since'],
    [{ since: '2026-04-10T18:00:00' }, 'since'],
    [{ since: '2026-04-10T18:00:00Z', extra: 1 }, 'extra'],
  ])('answers %j with 400 naming %s', async (body, field) => {
    const res = await post(path('/resend-failed'), body);
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
  });
});

describe('GET .../stats', () => {
  it('counts the last 24 hours by outcome, hour by hour', async () => {
    const res = await get(path('/stats'));
    expect(res.statusCode).toBe(200);
    const stats = res.json();
    const count = (s: DeliveryStatus) => [...written.values()].filter((v) => v === s).length;
    expect(stats.last24h).toEqual({ delivered: count('delivered'), failed: count('failed') + 1, refused: count('refused'), skipped: count('skipped'), dials: 2 * count('delivered') });
    expect(stats.hourly).toHaveLength(24);
    expect(stats.hourly.reduce((n: number, e: { delivered: number }) => n + e.delivered, 0)).toBe(count('delivered'));
    expect(Date.parse(stats.hourly[23].hour)).toBeLessThanOrEqual(Date.now());
    expect(Date.parse(stats.hourly[0].hour)).toBe(Date.parse(stats.hourly[23].hour) - 23 * 3_600_000);
  });
});

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createKeys } from '@outboundiq/core';
import { AUTH, createHarness, validWebhook, type Harness } from './harness.js';

let h: Harness;
beforeAll(() => {
  h = createHarness('test-dial');
});
afterAll(async () => {
  await h.close();
});

const base = (company: string) => `/v1/companies/${company}/webhooks`;

async function create(company: string, overrides: Record<string, unknown> = {}): Promise<string> {
  const res = await h.app.inject({ method: 'POST', url: base(company), headers: AUTH, payload: validWebhook(overrides) });
  expect(res.statusCode).toBe(201);
  return res.json().id as string;
}

const sendTest = (company: string, id: string, headers: Record<string, string> = AUTH) =>
  h.app.inject({ method: 'POST', url: `${base(company)}/${id}/test`, headers });

/** The dials waiting in the company's stream, as the batcher will read them. */
async function pendingDials(company: string): Promise<Record<string, unknown>[]> {
  const entries = await h.redis.xrange(createKeys(h.prefix).dials(company), '-', '+');
  return entries.flatMap(([, fields]) => {
    const at = fields.indexOf('d');
    return at === -1 ? [] : (JSON.parse(fields[at + 1]!) as Record<string, unknown>[]);
  });
}

describe('POST /v1/companies/:companySlug/webhooks/:webhookId/test', () => {
  it('publishes one sample dial of the company through the producer: 202 { enqueued: true }', async () => {
    const id = await create('acme-test-dial');
    const res = await sendTest('acme-test-dial', id);
    expect(res.statusCode).toBe(202);
    expect(res.json()).toEqual({ enqueued: true });
    const dials = await pendingDials('acme-test-dial');
    expect(dials).toHaveLength(1);
    expect(dials[0]).toMatchObject({ companySlug: 'acme-test-dial', callDirection: 'outbound', campaign: 'outboundIQ test dial' });
    expect(dials[0]!.callId).toMatch(/^TEST_[0-9a-f]{12}$/);
    expect(Date.now() - Date.parse(dials[0]!.timestamp as string)).toBeLessThan(60_000);
  });

  it('publishes nothing for a disabled webhook and says why', async () => {
    const id = await create('acme-test-off', { enabled: false });
    const res = await sendTest('acme-test-off', id);
    expect(res.statusCode).toBe(202);
    expect(res.json()).toEqual({ enqueued: false, reason: 'webhook-disabled' });
    expect(await pendingDials('acme-test-off')).toEqual([]);
  });

  it('is a 404 for an unknown, malformed or another company\'s webhook', async () => {
    const other = await create('acme-test-other');
    for (const [company, id] of [
      ['acme-test-dial', 'wh_000000000000000000000000'],
      ['acme-test-dial', 'not-an-id'],
      ['acme-test-mine', other],
    ] as const) {
      const res = await sendTest(company, id);
      expect(res.statusCode).toBe(404);
      expect(res.json()).toEqual({ error: { code: 'not_found', message: 'webhook not found' } });
    }
    expect(await pendingDials('acme-test-mine')).toEqual([]);
  });

  it('needs a token and a valid company slug', async () => {
    const id = await create('acme-test-auth');
    expect((await sendTest('acme-test-auth', id, {})).statusCode).toBe(401);
    const bad = await sendTest('bad%20slug', id);
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.details[0].field).toBe('companySlug');
    expect(await pendingDials('acme-test-auth')).toEqual([]);
  });
});

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AUTH, createHarness, validWebhook, type Harness } from './harness.js';

let h: Harness;
beforeAll(() => {
  h = createHarness('routes');
});
afterAll(async () => {
  await h.close();
});

const url = (company: string, rest = '') => `/v1/companies/${company}/webhooks${rest}`;

async function create(company: string, body: object = validWebhook()) {
  return h.app.inject({ method: 'POST', url: url(company), headers: AUTH, payload: body });
}

describe('webhook routes', () => {
  it('creates a webhook: 201 with the webhook and its secret, enabled by default', async () => {
    const res = await create('acme-create');
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(Object.keys(body).sort()).toEqual(
      ['companySlug', 'createdAt', 'enabled', 'headers', 'id', 'name', 'signingSecret', 'updatedAt', 'url'].sort(),
    );
    // Header values are masked in every answer, the create answer included (CONTRACT section 3).
    expect(body).toMatchObject({ companySlug: 'acme-create', name: 'CRM', enabled: true, headers: { 'X-Api-Key': '••••' } });
    expect(body.id).toMatch(/^wh_[0-9a-f]{24}$/);
    expect(body.signingSecret).toMatch(/^whsec_/);
    expect(res.headers['cache-control']).toBe('no-store');
    // The secret given is the one the sender will sign with.
    expect((await h.store.loadForDelivery('acme-create', body.id))?.signingSecret).toBe(body.signingSecret);
  });

  it('honours enabled: false on create', async () => {
    const res = await create('acme-disabled', validWebhook({ enabled: false }));
    expect(res.statusCode).toBe(201);
    expect(res.json().enabled).toBe(false);
  });

  it('lists oldest first and gets one, never with a secret', async () => {
    const first = (await create('acme-list', validWebhook({ name: 'first' }))).json();
    const second = (await create('acme-list', validWebhook({ name: 'second' }))).json();
    const list = await h.app.inject({ method: 'GET', url: url('acme-list'), headers: AUTH });
    expect(list.statusCode).toBe(200);
    expect(list.json().webhooks.map((w: { name: string }) => w.name)).toEqual(['first', 'second']);
    const one = await h.app.inject({ method: 'GET', url: url('acme-list', `/${second.id}`), headers: AUTH });
    expect(one.statusCode).toBe(200);
    expect(one.json()).toEqual({ ...second, signingSecret: undefined });
    for (const text of [list.body, one.body]) {
      expect(text).not.toContain(first.signingSecret);
      expect(text).not.toContain(second.signingSecret);
      expect(text).not.toMatch(/secret/i);
    }
  });

  it('lists an unknown company as empty', async () => {
    const res = await h.app.inject({ method: 'GET', url: url('nobody-here'), headers: AUTH });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ webhooks: [] });
  });

  it('patches any field and keeps the others', async () => {
    const created = (await create('acme-patch')).json();
    const res = await h.app.inject({
      method: 'PATCH',
      url: url('acme-patch', `/${created.id}`),
      headers: AUTH,
      payload: { name: 'renamed', enabled: false, headers: {} },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: created.id, name: 'renamed', enabled: false, headers: {}, url: created.url });
    const url2 = 'https://other.example.com/x';
    const again = await h.app.inject({ method: 'PATCH', url: url('acme-patch', `/${created.id}`), headers: AUTH, payload: { url: url2 } });
    expect(again.json()).toMatchObject({ name: 'renamed', url: url2, enabled: false });
    const read = await h.app.inject({ method: 'GET', url: url('acme-patch', `/${created.id}`), headers: AUTH });
    expect(read.json()).toMatchObject({ name: 'renamed', url: url2, enabled: false, headers: {} });
  });

  it('rotates the secret: a new one, the old one gone at once', async () => {
    const created = (await create('acme-rotate')).json();
    const res = await h.app.inject({ method: 'POST', url: url('acme-rotate', `/${created.id}/rotate-secret`), headers: AUTH });
    expect(res.statusCode).toBe(200);
    expect(Object.keys(res.json())).toEqual(['signingSecret']);
    const { signingSecret } = res.json();
    expect(signingSecret).toMatch(/^whsec_/);
    expect(signingSecret).not.toBe(created.signingSecret);
    expect((await h.store.loadForDelivery('acme-rotate', created.id))?.signingSecret).toBe(signingSecret);
  });

  it('rotates with an empty JSON body too (what `curl -H content-type:...` sends)', async () => {
    const created = (await create('acme-rotate-empty')).json();
    const res = await h.app.inject({
      method: 'POST',
      url: url('acme-rotate-empty', `/${created.id}/rotate-secret`),
      headers: { ...AUTH, 'content-type': 'application/json' },
    });
    expect(res.statusCode).toBe(200);
  });

  it('deletes: 204 with no body, then the webhook and its secret are gone', async () => {
    const created = (await create('acme-delete')).json();
    const res = await h.app.inject({ method: 'DELETE', url: url('acme-delete', `/${created.id}`), headers: AUTH });
    expect(res.statusCode).toBe(204);
    expect(res.body).toBe('');
    expect(await h.store.loadForDelivery('acme-delete', created.id)).toBeNull();
    const again = await h.app.inject({ method: 'DELETE', url: url('acme-delete', `/${created.id}`), headers: AUTH });
    expect(again.statusCode).toBe(404);
  });

  it('accepts application/json with a charset', async () => {
    const res = await h.app.inject({
      method: 'POST',
      url: url('acme-charset'),
      headers: { ...AUTH, 'content-type': 'application/json; charset=utf-8' },
      payload: JSON.stringify(validWebhook()),
    });
    expect(res.statusCode).toBe(201);
  });
});

describe('not found', () => {
  let otherId: string;
  beforeAll(async () => {
    otherId = (await create('acme-other')).json().id;
  });

  const unknownId = 'wh_000000000000000000000000';
  const cases: [string, string, string][] = [];
  for (const id of ['OTHER', unknownId, 'not-an-id', 'wh_XYZ']) {
    cases.push(['GET', id, ''], ['PATCH', id, ''], ['DELETE', id, ''], ['POST', id, '/rotate-secret']);
  }

  it.each(cases)('%s of webhook %s%s is a 404 not_found', async (method, id, suffix) => {
    const webhookId = id === 'OTHER' ? otherId : id;
    const res = await h.app.inject({
      method: method as 'GET',
      url: url('acme-mine', `/${webhookId}${suffix}`),
      headers: AUTH,
      ...(method === 'PATCH' ? { payload: { name: 'x' } } : {}),
    });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ error: { code: 'not_found', message: expect.any(String) } });
  });

  it('leaves another company\'s webhook untouched', async () => {
    const res = await h.app.inject({ method: 'GET', url: url('acme-other', `/${otherId}`), headers: AUTH });
    expect(res.statusCode).toBe(200);
    expect(res.json().name).toBe('CRM');
  });

  it('answers unknown routes and wrong methods with the error shape', async () => {
    for (const [method, path] of [['GET', '/nope'], ['PUT', url('acme-mine')], ['GET', '/v1/companies']] as const) {
      const res = await h.app.inject({ method, url: path, headers: AUTH });
      expect(res.statusCode).toBe(404);
      expect(res.json()).toEqual({ error: { code: 'not_found', message: expect.any(String) } });
    }
  });
});

describe('limit of 3 webhooks per company', () => {
  it('refuses a 4th with 409 webhook_limit_reached, and frees a slot on delete', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await create('acme-limit')).json().id);
    const fourth = await create('acme-limit');
    expect(fourth.statusCode).toBe(409);
    expect(fourth.json()).toEqual({ error: { code: 'webhook_limit_reached', message: expect.stringContaining('acme-limit') } });
    await h.app.inject({ method: 'DELETE', url: url('acme-limit', `/${ids[0]}`), headers: AUTH });
    expect((await create('acme-limit')).statusCode).toBe(201);
  });

  it('lets exactly 3 of 10 concurrent creates through', async () => {
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => create('acme-race', validWebhook({ name: `n${i}` }))));
    const codes = answers.map((r) => r.statusCode);
    expect(codes.filter((c) => c === 201)).toHaveLength(3);
    expect(codes.filter((c) => c === 409)).toHaveLength(7);
    const list = await h.app.inject({ method: 'GET', url: url('acme-race'), headers: AUTH });
    expect(list.json().webhooks).toHaveLength(3);
  });
});

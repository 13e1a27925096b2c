import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { COMPANY_SLUG_MAX_LENGTH, createKeys } from '@outboundiq/core';
import { COMPANY_SLUG_CASES } from '@outboundiq/testkit';
import { MAX_PARAM_LENGTH } from '../src/framework-errors.js';
import { AUTH, createHarness, validWebhook, type Harness } from './harness.js';

let h: Harness;
beforeAll(() => {
  h = createHarness('slugs');
});
afterAll(async () => {
  await h.close();
});

const JSON_AUTH = { ...AUTH, 'content-type': 'application/json' };
const UNKNOWN_ID = 'wh_000000000000000000000000';
const base = (slug: string) => `/v1/companies/${encodeURIComponent(slug)}/webhooks`;
/** `POST /v1/companies/:companySlug/webhooks`, for test names. */
const nameOf = ([method, url]: Route) => `${method} ${url('C', 'W').replace('/C/', '/:companySlug/').replace('/W', '/:webhookId')}`;

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';
// Always three entries: jest reads a test function with more parameters than a row has as one that takes `done`.
type Route = [Method, (slug: string, id: string) => string, unknown];
/** Every route of a webhook, with a body it would accept: a refusal can only come from the path. */
const WEBHOOK_ROUTES: Route[] = [
  ['GET', (s, id) => `${base(s)}/${id}`, undefined],
  ['PATCH', (s, id) => `${base(s)}/${id}`, { name: 'renamed' }],
  ['POST', (s, id) => `${base(s)}/${id}/rotate-secret`, undefined],
  ['POST', (s, id) => `${base(s)}/${id}/test`, undefined],
  ['DELETE', (s, id) => `${base(s)}/${id}`, undefined],
];
/** ...and of a company. */
const ROUTES: Route[] = [['POST', (s) => base(s), validWebhook()], ['GET', (s) => base(s), undefined], ...WEBHOOK_ROUTES];

const call = (method: Method, url: string, body?: unknown) =>
  h.app.inject({ method, url, headers: body === undefined ? AUTH : JSON_AUTH, ...(body === undefined ? {} : { payload: JSON.stringify(body) }) });

function expectSlugRefused(res: { statusCode: number; json(): any }): void {
  expect(res.statusCode).toBe(400);
  const { error } = res.json();
  expect(error.code).toBe('invalid_request');
  expect(error.message).toMatch(/^companySlug: /);
  expect(error.details).toEqual(expect.arrayContaining([{ field: 'companySlug', message: expect.any(String) }]));
}

describe.each(COMPANY_SLUG_CASES.filter((c) => c.valid))('a valid company slug, $label', ({ slug }) => {
  it('is managed through every route: create, list, get, patch, rotate, test dial, delete', async () => {
    const created = await call('POST', base(slug), validWebhook());
    expect(created.statusCode).toBe(201);
    const { id, signingSecret, ...webhook } = created.json();
    expect(webhook.companySlug).toBe(slug);

    const list = await call('GET', base(slug));
    expect(list.statusCode).toBe(200);
    expect(list.json().webhooks.map((w: { id: string }) => w.id)).toEqual([id]);
    expect((await call('GET', `${base(slug)}/${id}`)).json()).toMatchObject({ id, companySlug: slug });

    const patched = await call('PATCH', `${base(slug)}/${id}`, { name: 'renamed' });
    expect(patched.statusCode).toBe(200);
    expect(patched.json()).toMatchObject({ id, companySlug: slug, name: 'renamed' });

    const rotated = await call('POST', `${base(slug)}/${id}/rotate-secret`);
    expect(rotated.statusCode).toBe(200);
    expect(rotated.json().signingSecret).not.toBe(signingSecret);

    // The sample dial goes through the producer, which must take the same slug.
    const test = await call('POST', `${base(slug)}/${id}/test`);
    expect(test.statusCode).toBe(202);
    expect(test.json()).toEqual({ enqueued: true });
    expect(await h.redis.xlen(createKeys(h.prefix).dials(slug))).toBe(1);

    expect((await call('DELETE', `${base(slug)}/${id}`)).statusCode).toBe(204);
    expect((await call('GET', base(slug))).json()).toEqual({ webhooks: [] });
  });
});

describe.each(COMPANY_SLUG_CASES.filter((c) => !c.valid))('an invalid company slug, $label', ({ slug }) => {
  it.each(ROUTES.map((route) => [nameOf(route), route] as const))('%s is 400 invalid_request naming companySlug', async (_name, [method, url, body]) => {
    expectSlugRefused(await call(method, url(slug, UNKNOWN_ID), body));
  });
});

describe('path parameters past a limit', () => {
  // 129 is refused by the route, the others by the router (its limit is MAX_PARAM_LENGTH): the same answer.
  const lengths = [COMPANY_SLUG_MAX_LENGTH + 1, MAX_PARAM_LENGTH, MAX_PARAM_LENGTH + 1, 5_000];

  it.each(lengths)('a %i-character company slug is 400 naming companySlug on every route', async (length) => {
    for (const [method, url, body] of ROUTES) expectSlugRefused(await call(method, url('s'.repeat(length), UNKNOWN_ID), body));
  });

  it.each([UNKNOWN_ID.length + 1, 101, MAX_PARAM_LENGTH + 1, 5_000])('a %i-character webhook id is 404 not_found', async (length) => {
    for (const [method, url, body] of WEBHOOK_ROUTES) {
      const res = await call(method, url('acme-long-id', `wh_${'0'.repeat(length - 3)}`), body);
      expect(res.statusCode).toBe(404);
      expect(res.json()).toEqual({ error: { code: 'not_found', message: 'webhook not found' } });
    }
  });

  it('a slug that is not valid percent-encoding is 400 naming companySlug; an id, 404', async () => {
    expectSlugRefused(await call('GET', '/v1/companies/acme%zz/webhooks'));
    expect((await call('GET', '/v1/companies/acme/webhooks/%E0%A4%A')).json()).toEqual({ error: { code: 'not_found', message: 'webhook not found' } });
  });

  it('asks for a token first, whatever the router thought of the path', async () => {
    for (const url of [`${base('s'.repeat(5_000))}`, `${base('acme')}/${'w'.repeat(5_000)}`, '/v1/companies/acme%zz/webhooks']) {
      const res = await h.app.inject({ method: 'GET', url });
      expect(res.statusCode).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer realm="outboundIQ"');
      expect(res.json().error.code).toBe('unauthorized');
    }
  });
});

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHostCheck, createKeys } from '@outboundiq/core';
import { AUTH, createHarness, validWebhook, type Harness } from './harness.js';

let h: Harness;
beforeAll(() => {
  h = createHarness('validation', { checkHost: createHostCheck({ allowPrivate: false }) });
});
afterAll(async () => {
  await h.close();
});

const COMPANY = 'acme-bad-input';
const JSON_AUTH = { ...AUTH, 'content-type': 'application/json' };
const elevenHeaders = Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`X-H${i}`, 'v']));
const RESERVED = ['content-type', 'content-length', 'user-agent', 'host', 'transfer-encoding', 'connection', 'x-outboundiq-anything'];
const casings = (name: string) => [
  name,
  name.toUpperCase(),
  name.replace(/(^|-)([a-z])/g, (_, dash: string, c: string) => dash + c.toUpperCase()),
];

/** [label, body, field the message must name] */
const cases: [string, unknown, string][] = [
  ['http URL', validWebhook({ url: 'http://hooks.example.com/x' }), 'url'],
  ['ftp URL', validWebhook({ url: 'ftp://hooks.example.com/x' }), 'url'],
  ['relative URL', validWebhook({ url: '/hooks' }), 'url'],
  ['user and password in URL', validWebhook({ url: 'https://user:pw@hooks.example.com/x' }), 'url'],
  ['user in URL', validWebhook({ url: 'https://user@hooks.example.com/x' }), 'url'],
  ['URL over 2048 characters', validWebhook({ url: `https://hooks.example.com/${'a'.repeat(2048)}` }), 'url'],
  ['loopback URL', validWebhook({ url: 'https://127.0.0.1/x' }), 'url'],
  ['localhost URL', validWebhook({ url: 'https://localhost:8443/x' }), 'url'],
  ['private network URL', validWebhook({ url: 'https://10.1.2.3/x' }), 'url'],
  ['an 11th header', validWebhook({ headers: elevenHeaders }), 'headers'],
  ['CR in a header value', validWebhook({ headers: { 'X-Foo': 'a\rb' } }), 'headers.X-Foo'],
  ['LF in a header value', validWebhook({ headers: { 'X-Foo': 'a\nInjected: yes' } }), 'headers.X-Foo'],
  ['NUL in a header value', validWebhook({ headers: { 'X-Foo': 'a\u0000b' } }), 'headers.X-Foo'],
  ['header value over 1024 characters', validWebhook({ headers: { 'X-Foo': 'v'.repeat(1025) } }), 'headers.X-Foo'],
  ['header name with a space', validWebhook({ headers: { 'X Foo': 'v' } }), 'headers.X Foo'],
  ['header value not a string', validWebhook({ headers: { 'X-Foo': 5 } }), 'headers.X-Foo'],
  ...RESERVED.flatMap((name) =>
    casings(name).map((n): [string, unknown, string] => [`reserved header ${n}`, validWebhook({ headers: { [n]: 'v' } }), `headers.${n}`]),
  ),
  ['empty name', validWebhook({ name: '' }), 'name'],
  ['name of 101 characters', validWebhook({ name: 'n'.repeat(101) }), 'name'],
  ['name: 5', validWebhook({ name: 5 }), 'name'],
  ['missing name', { url: 'https://hooks.example.com/x' }, 'name'],
  ['missing url', { name: 'CRM' }, 'url'],
  ['url: 5', validWebhook({ url: 5 }), 'url'],
  ['enabled: "yes"', validWebhook({ enabled: 'yes' }), 'enabled'],
  ['headers: []', validWebhook({ headers: [] }), 'headers'],
  ['headers: "x"', validWebhook({ headers: 'x' }), 'headers'],
  ['an unknown field', validWebhook({ signingSecret: 'whsec_mine' }), 'signingSecret'],
  ['a body that is an array', [validWebhook()], 'body'],
  ['a body that is null', null, 'body'],
];

describe('POST with bad input', () => {
  it.each(cases)('%s: 400 invalid_request naming the field', async (_label, body, field) => {
    const res = await h.app.inject({ method: 'POST', url: `/v1/companies/${COMPANY}/webhooks`, headers: JSON_AUTH, payload: JSON.stringify(body) });
    expectInvalid(res, field);
  });

  const raw: [string, string | undefined, string][] = [
    ['malformed JSON', 'application/json', '{"name": "CRM", "url": '],
    ['a text/plain body', 'text/plain', JSON.stringify(validWebhook())],
    ['a form body', 'application/x-www-form-urlencoded', 'name=CRM&url=https://x.example.com'],
    ['no body at all', undefined, ''],
  ];
  it.each(raw)('%s: 400 invalid_request naming the body', async (_label, contentType, payload) => {
    const headers = contentType ? { ...AUTH, 'content-type': contentType } : AUTH;
    const res = await h.app.inject({ method: 'POST', url: `/v1/companies/${COMPANY}/webhooks`, headers, payload });
    expectInvalid(res, 'body');
  });

  it('refuses a malformed company slug, naming it', async () => {
    const res = await h.app.inject({ method: 'POST', url: '/v1/companies/bad%20slug!/webhooks', headers: AUTH, payload: validWebhook() });
    expectInvalid(res, 'companySlug');
  });

  it('stored nothing for any of them', async () => {
    const list = await h.app.inject({ method: 'GET', url: `/v1/companies/${COMPANY}/webhooks`, headers: AUTH });
    expect(list.json()).toEqual({ webhooks: [] });
    expect(await h.redis.exists(createKeys(h.prefix).webhooks(COMPANY))).toBe(0);
  });
});

describe('PATCH with bad input', () => {
  let id: string;
  let before: unknown;
  beforeAll(async () => {
    before = (await h.app.inject({ method: 'POST', url: '/v1/companies/acme-patch-bad/webhooks', headers: AUTH, payload: validWebhook() })).json();
    id = (before as { id: string }).id;
    delete (before as { signingSecret?: string }).signingSecret;
  });

  const patches: [string, unknown, string][] = [
    ['nothing to change', {}, 'body'],
    ['http URL', { url: 'http://hooks.example.com/x' }, 'url'],
    ['reserved header', { headers: { Host: 'evil.example.com' } }, 'headers.Host'],
    ['enabled: "false"', { enabled: 'false' }, 'enabled'],
    ['name: null', { name: null }, 'name'],
    ['an unknown field', { id: 'wh_000000000000000000000000' }, 'id'],
  ];
  it.each(patches)('%s: 400 naming the field', async (_label, body, field) => {
    const res = await h.app.inject({ method: 'PATCH', url: `/v1/companies/acme-patch-bad/webhooks/${id}`, headers: JSON_AUTH, payload: JSON.stringify(body) });
    expectInvalid(res, field);
  });

  it('left the webhook unchanged', async () => {
    const res = await h.app.inject({ method: 'GET', url: `/v1/companies/acme-patch-bad/webhooks/${id}`, headers: AUTH });
    expect(res.json()).toEqual(before);
  });
});

function expectInvalid(res: { statusCode: number; json(): any }, field: string): void {
  expect(res.statusCode).toBe(400);
  const { error } = res.json();
  expect(error.code).toBe('invalid_request');
  expect(error.message.startsWith(`${field}: `) || error.message.includes(`; ${field}: `)).toBe(true);
  expect(error.details).toEqual(expect.arrayContaining([{ field, message: expect.any(String) }]));
}

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { basicPassword, bearerToken, createTokenCheck } from '../src/auth.js';
import { TOKENS, createHarness, validWebhook, type Harness } from './harness.js';

let h: Harness;
let webhookPath: string;
beforeAll(async () => {
  h = createHarness('auth');
  const created = await h.app.inject({
    method: 'POST',
    url: '/v1/companies/acme-auth/webhooks',
    headers: { authorization: `Bearer ${TOKENS[1]}` },
    payload: validWebhook(),
  });
  expect(created.statusCode).toBe(201);
  webhookPath = `/v1/companies/acme-auth/webhooks/${created.json().id}`;
});
afterAll(async () => {
  await h.close();
});

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

const badHeaders: [string, Record<string, string>][] = [
  ['no Authorization header', {}],
  ['a wrong token of the same length', { authorization: `Bearer ${'x'.repeat(TOKENS[0].length)}` }],
  ['a token of another length', { authorization: 'Bearer short' }],
  ['a prefix of a valid token', { authorization: `Bearer ${TOKENS[0].slice(0, -1)}` }],
  ['a valid token with no scheme', { authorization: TOKENS[0] }],
  ['a valid token under another scheme', { authorization: `Token ${TOKENS[0]}` }],
  ['"Bearer" alone', { authorization: 'Bearer' }],
  ['two tokens', { authorization: `Bearer ${TOKENS[0]} ${TOKENS[1]}` }],
  ['both tokens joined by a comma', { authorization: `Bearer ${TOKENS.join(',')}` }],
  ['Basic auth outside the dashboard', { authorization: basic('ops', TOKENS[0]) }],
];

const routes = (): [string, string][] => [
  ['POST', '/v1/companies/acme-auth/webhooks'],
  ['GET', '/v1/companies/acme-auth/webhooks'],
  ['GET', webhookPath],
  ['PATCH', webhookPath],
  ['POST', `${webhookPath}/rotate-secret`],
  ['DELETE', webhookPath],
  ['GET', '/admin/queues'],
  ['GET', '/admin/queues/api/queues'],
  ['GET', '/no-such-route'],
];

describe('without a valid token', () => {
  it.each(badHeaders)('%s: 401 on every route, nothing changed', async (_label, headers) => {
    // A valid Basic password is the dashboard's login, so that case is only tried elsewhere.
    const basicCase = headers.authorization?.startsWith('Basic') === true;
    for (const [method, url] of routes().filter(([, u]) => !(basicCase && u.startsWith('/admin/queues')))) {
      const payload = method === 'POST' || method === 'PATCH' ? validWebhook() : undefined;
      const res = await h.app.inject({ method: method as 'GET', url, headers, payload });
      expect([method, url, res.statusCode]).toEqual([method, url, 401]);
      expect(res.json()).toEqual({ error: { code: 'unauthorized', message: expect.any(String) } });
      const challenge = url.startsWith('/admin/queues') ? /^Basic realm="outboundIQ"/ : /^Bearer realm="outboundIQ"/;
      expect(res.headers['www-authenticate']).toMatch(challenge);
    }
    const list = await h.app.inject({ method: 'GET', url: '/v1/companies/acme-auth/webhooks', headers: { authorization: `Bearer ${TOKENS[0]}` } });
    expect(list.json().webhooks).toHaveLength(1);
    expect(list.json().webhooks[0].name).toBe('CRM');
  });

  it('keeps /healthz and /readyz open', async () => {
    for (const url of ['/healthz', '/readyz']) {
      const res = await h.app.inject({ method: 'GET', url });
      expect([url, res.statusCode]).toEqual([url, 200]);
    }
  });

  it('serves the OpenAPI document openly, like the health checks', async () => {
    expect((await h.app.inject({ method: 'GET', url: '/v1/openapi.json' })).statusCode).toBe(200);
  });
});

describe('with a valid token', () => {
  it('accepts every configured token, and the scheme in any case', async () => {
    for (const authorization of [`Bearer ${TOKENS[0]}`, `Bearer ${TOKENS[1]}`, `bearer ${TOKENS[0]}`, `BEARER ${TOKENS[1]}`]) {
      const res = await h.app.inject({ method: 'GET', url: '/v1/companies/acme-auth/webhooks', headers: { authorization } });
      expect([authorization, res.statusCode]).toEqual([authorization, 200]);
    }
  });

  it('opens the dashboard with the bearer token', async () => {
    const res = await h.app.inject({ method: 'GET', url: '/admin/queues', headers: { authorization: `Bearer ${TOKENS[0]}` } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
  });

  it('opens the dashboard with the token as the Basic password, any username', async () => {
    for (const user of ['ops', '']) {
      const page = await h.app.inject({ method: 'GET', url: '/admin/queues', headers: { authorization: basic(user, TOKENS[1]) } });
      expect(page.statusCode).toBe(200);
      const api = await h.app.inject({ method: 'GET', url: '/admin/queues/api/queues', headers: { authorization: basic(user, TOKENS[1]) } });
      expect(api.statusCode).toBe(200);
      expect(api.json().queues.map((q: { name: string }) => q.name)).toEqual(['deliveries']);
    }
  });

  it('refuses the dashboard with a wrong Basic password, asking the browser to log in', async () => {
    for (const authorization of [basic('ops', 'wrong'), basic(TOKENS[0], 'x'), 'Basic !!!', `Basic ${Buffer.from(TOKENS[0]).toString('base64')}`]) {
      const res = await h.app.inject({ method: 'GET', url: '/admin/queues', headers: { authorization } });
      expect([authorization, res.statusCode]).toEqual([authorization, 401]);
      expect(res.headers['www-authenticate']).toBe('Basic realm="outboundIQ", charset="UTF-8"');
    }
  });
});

describe('token checks', () => {
  const check = createTokenCheck(['alpha', 'beta-longer-token']);
  it('matches exactly the configured tokens', () => {
    expect(['alpha', 'beta-longer-token'].map(check)).toEqual([true, true]);
    expect(['', 'alph', 'alphaa', 'ALPHA', 'beta', 'x'.repeat(10_000)].map(check)).toEqual([false, false, false, false, false, false]);
  });

  it('parses Bearer and Basic headers, refusing malformed ones', () => {
    expect(bearerToken('Bearer abc')).toBe('abc');
    expect([undefined, '', 'Bearer', 'Bearer a b', 'Basic abc', 'Bearerabc'].map(bearerToken)).toEqual([null, null, null, null, null, null]);
    expect(basicPassword(basic('u', 'p:w'))).toBe('p:w');
    expect([undefined, 'Basic', 'Basic %%%', `Basic ${Buffer.from('nocolon').toString('base64')}`].map(basicPassword)).toEqual([null, null, null, null]);
  });
});

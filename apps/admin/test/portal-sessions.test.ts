import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AUTH, createHarness, validWebhook, type Harness } from './harness.js';

/**
 * Portal sessions (CONTRACT section 3.2) and the tenancy attacks on them: each row says what was
 * tried with which token, and the answer it must get.
 */
let h: Harness;
let other: Harness;
const A = 'tenant-a';
const B = 'tenant-b';
const hooks: Record<string, string> = {};
let tokenA: string;

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const basic = (password: string) => ({ authorization: `Basic ${Buffer.from(`customer:${password}`).toString('base64')}` });
const webhooksOf = (company: string) => `/v1/companies/${company}/webhooks`;
const sessionsOf = (company: string) => `/v1/companies/${company}/portal-sessions`;

async function openSession(harness: Harness, company: string, body?: object) {
  const res = await harness.app.inject({ method: 'POST', url: sessionsOf(company), headers: AUTH, ...(body === undefined ? {} : { payload: body }) });
  expect(res.statusCode).toBe(201);
  return res.json() as { token: string; url: string; expiresAt: string };
}

beforeAll(async () => {
  h = createHarness('portal');
  other = createHarness('portal-other-stack');
  for (const company of [A, B]) {
    const res = await h.app.inject({ method: 'POST', url: webhooksOf(company), headers: AUTH, payload: validWebhook({ name: `hook of ${company}` }) });
    expect(res.statusCode).toBe(201);
    hooks[company] = res.json().id;
  }
  tokenA = (await openSession(h, A)).token;
});
afterAll(async () => {
  await Promise.all([h.close(), other.close()]);
});

describe('making a portal session', () => {
  it('answers a token, its url on PUBLIC_URL and when it expires (an hour by default)', async () => {
    const before = Date.now();
    const session = await openSession(h, A);
    const after = Date.now();
    expect(session.url).toBe(`https://settings.example.com/settings/webhooks#session=${session.token}`);
    const expiresAt = Date.parse(session.expiresAt);
    expect(expiresAt).toBeGreaterThanOrEqual(before + 3_600_000);
    expect(expiresAt).toBeLessThanOrEqual(after + 3_600_000);
    // Redis forgets it by itself when it expires.
    const keys = await h.redis.keys(`${h.prefix}:*:portal:*`);
    const ttls = await Promise.all(keys.map((k) => h.redis.pttl(k)));
    expect(ttls.every((ttl) => ttl > 0 && ttl <= 3_600_000)).toBe(true);
  });

  it('takes ttlSeconds from 60 to 86,400', async () => {
    for (const ttlSeconds of [60, 86_400]) {
      const before = Date.now();
      const session = await openSession(h, A, { ttlSeconds });
      expect(Date.parse(session.expiresAt)).toBeGreaterThanOrEqual(before + ttlSeconds * 1000);
    }
    for (const body of [{ ttlSeconds: 59 }, { ttlSeconds: 86_401 }, { ttlSeconds: 'long' }, { ttlSeconds: 90.5 }, { ttl: 60 }]) {
      const res = await h.app.inject({ method: 'POST', url: sessionsOf(A), headers: AUTH, payload: body });
      expect([body, res.statusCode]).toEqual([body, 400]);
      expect(res.json().error.details[0].field).toBe('ttl' in body ? 'ttl' : 'ttlSeconds');
    }
  });

  it('is stored only as a hash', async () => {
    const session = await openSession(h, A);
    const keys = await h.redis.keys(`${h.prefix}:*`);
    const values = await Promise.all(keys.map(async (k) => ((await h.redis.type(k)) === 'string' ? h.redis.get(k) : '')));
    const secretPart = session.token.split('.')[2]!;
    expect([...keys, ...values].filter((v) => v?.includes(secretPart))).toEqual([]);
  });
});

describe("a portal token on its own company's webhooks", () => {
  it('does everything an operator can do there', async () => {
    const auth = bearer(tokenA);
    const list = await h.app.inject({ method: 'GET', url: webhooksOf(A), headers: auth });
    expect(list.statusCode).toBe(200);
    expect(list.json().webhooks.map((w: { id: string }) => w.id)).toEqual([hooks[A]]);
    const created = await h.app.inject({ method: 'POST', url: webhooksOf(A), headers: auth, payload: validWebhook({ name: 'second' }) });
    expect(created.statusCode).toBe(201);
    const one = `${webhooksOf(A)}/${created.json().id}`;
    expect((await h.app.inject({ method: 'GET', url: one, headers: auth })).statusCode).toBe(200);
    expect((await h.app.inject({ method: 'PATCH', url: one, headers: auth, payload: { name: 'renamed' } })).statusCode).toBe(200);
    expect((await h.app.inject({ method: 'POST', url: `${one}/rotate-secret`, headers: auth })).statusCode).toBe(200);
    expect((await h.app.inject({ method: 'POST', url: `${one}/test`, headers: auth })).statusCode).toBe(202);
    // Routes added under the webhooks later (the delivery log) are its too, with nothing to declare.
    expect((await h.app.inject({ method: 'GET', url: `${one}/deliveries`, headers: auth })).statusCode).toBe(200);
    expect((await h.app.inject({ method: 'GET', url: `${one}/stats`, headers: auth })).statusCode).toBe(200);
    expect((await h.app.inject({ method: 'DELETE', url: one, headers: auth })).statusCode).toBe(204);
    // A route that does not exist under its own webhooks is just not found; its slug may be percent-encoded.
    expect((await h.app.inject({ method: 'GET', url: `${one}/no-such-thing`, headers: auth })).statusCode).toBe(404);
    expect((await h.app.inject({ method: 'GET', url: webhooksOf('tenant%2Da'), headers: auth })).statusCode).toBe(200);
  });
});

describe('tenancy attacks', () => {
  type Attack = [what: string, method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: () => string, headers: () => Record<string, string>, status: number, code: string];
  const forbidden = (what: string, method: Attack[1], url: () => string, headers = () => bearer(tokenA)): Attack => [what, method, url, headers, 403, 'forbidden'];
  const bOne = () => `${webhooksOf(B)}/${hooks[B]}`;

  const attacks: Attack[] = [
    forbidden("A's token lists B's webhooks", 'GET', () => webhooksOf(B)),
    forbidden("A's token creates a webhook for B", 'POST', () => webhooksOf(B)),
    forbidden("A's token reads B's webhook", 'GET', bOne),
    forbidden("A's token changes B's webhook", 'PATCH', bOne),
    forbidden("A's token deletes B's webhook", 'DELETE', bOne),
    forbidden("A's token rotates B's secret", 'POST', () => `${bOne()}/rotate-secret`),
    forbidden("A's token sends B a test dial", 'POST', () => `${bOne()}/test`),
    forbidden("A's token reads B's delivery log", 'GET', () => `${bOne()}/deliveries`),
    forbidden("A's token reads one of B's deliveries", 'GET', () => `${bOne()}/deliveries/00000000-0000-4000-8000-000000000000`),
    forbidden("A's token resends one of B's deliveries", 'POST', () => `${bOne()}/deliveries/00000000-0000-4000-8000-000000000000/resend`),
    forbidden("A's token resends B's failed deliveries", 'POST', () => `${bOne()}/resend-failed`),
    forbidden("A's token reads B's delivery stats", 'GET', () => `${bOne()}/stats`),
    forbidden("A's token on an unknown route of B", 'GET', () => `${bOne()}/no-such-thing`),
    forbidden("A's token on B with the slug percent-encoded", 'GET', () => webhooksOf('tenant%2Db')),
    forbidden("A's token on B with A's path in the query", 'GET', () => `${webhooksOf(B)}?next=${webhooksOf(A)}`),
    forbidden("A's token on B with a webhook id the router refuses", 'GET', () => `${webhooksOf(B)}/${'x'.repeat(2000)}`),
    forbidden("A's token on B's company path outside webhooks", 'GET', () => `/v1/companies/${B}`),
    ["A's token on B's webhook id under A's own path", 'GET', () => `${webhooksOf(A)}/${hooks[B]}`, () => bearer(tokenA), 404, 'not_found'],
    forbidden("A's token makes itself a new session", 'POST', () => sessionsOf(A)),
    forbidden("A's token revokes A's sessions", 'DELETE', () => sessionsOf(A)),
    forbidden("A's token makes a session for B", 'POST', () => sessionsOf(B)),
    forbidden("A's token revokes B's sessions", 'DELETE', () => sessionsOf(B)),
    forbidden("A's token on the dashboard (bearer)", 'GET', () => '/admin/queues'),
    forbidden("A's token on the dashboard's API (bearer)", 'GET', () => '/admin/queues/api/queues'),
    forbidden("A's token as the dashboard's Basic password", 'GET', () => '/admin/queues', () => basic(tokenA)),
    forbidden("A's token on /metrics", 'GET', () => '/metrics'),
    forbidden("A's token on the OpenAPI document", 'GET', () => '/v1/openapi.json'),
    forbidden("A's token on an unknown route", 'GET', () => '/no-such-route'),
    // Resolved to B's webhooks before routing (as a browser or curl would): B's, so refused.
    forbidden("A's token on a dot-segment path from A's webhooks to B's", 'GET', () => `${webhooksOf(A)}/../../${B}/webhooks`),
    ["a token of the same shape that was never issued", 'GET', () => webhooksOf(A), () => bearer(`oiqps.${Buffer.from(A).toString('base64url')}.${'A'.repeat(43)}`), 401, 'unauthorized'],
    ["A's token with one character of its secret changed", 'GET', () => webhooksOf(A), () => bearer(tamper(tokenA)), 401, 'unauthorized'],
    ["A's token with B's name put in its company part", 'GET', () => webhooksOf(B), () => bearer(withCompany(tokenA, B)), 401, 'unauthorized'],
    ["A's token with its last character cut", 'GET', () => webhooksOf(A), () => bearer(tokenA.slice(0, -1)), 401, 'unauthorized'],
    ["A's token cut to its company part", 'GET', () => webhooksOf(A), () => bearer(tokenA.split('.').slice(0, 2).join('.')), 401, 'unauthorized'],
    ["A's token with a character added", 'GET', () => webhooksOf(A), () => bearer(`${tokenA}A`), 401, 'unauthorized'],
    ["A's token without its scheme", 'GET', () => webhooksOf(A), () => ({ authorization: tokenA }), 401, 'unauthorized'],
    ['an empty company part', 'GET', () => webhooksOf(A), () => bearer(`oiqps..${tokenA.split('.')[2]}`), 401, 'unauthorized'],
  ];

  for (const [what, method, url, headers, status, code] of attacks) {
    it(`${what}: ${status} ${code}`, async () => {
      const payload = method === 'POST' || method === 'PATCH' ? validWebhook() : undefined;
      const res = await h.app.inject({ method, url: url(), headers: headers(), ...(payload === undefined ? {} : { payload }) });
      expect(res.statusCode).toBe(status);
      expect(res.json().error.code).toBe(code);
    });
  }

  it("leaves B's webhook and A's session as they were", async () => {
    const b = await h.app.inject({ method: 'GET', url: `${webhooksOf(B)}/${hooks[B]}`, headers: AUTH });
    expect(b.json()).toMatchObject({ id: hooks[B], name: `hook of ${B}` });
    expect((await h.app.inject({ method: 'GET', url: webhooksOf(A), headers: bearer(tokenA) })).statusCode).toBe(200);
  });

  it("refuses a token of another stack's KEY_PREFIX on the same Redis, both ways", async () => {
    const foreign = (await openSession(other, A)).token;
    expect((await other.app.inject({ method: 'GET', url: webhooksOf(A), headers: bearer(foreign) })).statusCode).toBe(200);
    expect((await h.app.inject({ method: 'GET', url: webhooksOf(A), headers: bearer(foreign) })).statusCode).toBe(401);
    expect((await other.app.inject({ method: 'GET', url: webhooksOf(A), headers: bearer(tokenA) })).statusCode).toBe(401);
  });

  it('refuses an expired token (401), and no earlier', async () => {
    const session = await openSession(h, A, { ttlSeconds: 60 });
    const list = () => h.app.inject({ method: 'GET', url: webhooksOf(A), headers: bearer(session.token) });
    h.clock.offsetMs = 59_000;
    expect((await list()).statusCode).toBe(200);
    h.clock.offsetMs = 60_001;
    try {
      const res = await list();
      expect(res.statusCode).toBe(401);
      expect(res.json().error.code).toBe('unauthorized');
    } finally {
      h.clock.offsetMs = 0;
    }
  });

  it("revokes every session of the company at once, and only that company's", async () => {
    const a1 = (await openSession(h, A)).token;
    const a2 = (await openSession(h, A)).token;
    const b1 = (await openSession(h, B)).token;
    const revoke = await h.app.inject({ method: 'DELETE', url: sessionsOf(A), headers: AUTH });
    expect(revoke.statusCode).toBe(204);
    for (const token of [a1, a2]) {
      const res = await h.app.inject({ method: 'GET', url: webhooksOf(A), headers: bearer(token) });
      expect(res.statusCode).toBe(401);
    }
    expect((await h.app.inject({ method: 'GET', url: webhooksOf(B), headers: bearer(b1) })).statusCode).toBe(200);
    // A session made after the revocation works.
    const fresh = (await openSession(h, A)).token;
    expect((await h.app.inject({ method: 'GET', url: webhooksOf(A), headers: bearer(fresh) })).statusCode).toBe(200);
    tokenA = fresh;
  });
});

function tamper(token: string): string {
  const last = token.at(-1) === 'A' ? 'B' : 'A';
  return token.slice(0, -1) + last;
}

function withCompany(token: string, company: string): string {
  const [prefix, , secret] = token.split('.');
  return [prefix, Buffer.from(company).toString('base64url'), secret].join('.');
}

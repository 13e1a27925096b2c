import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createLogger, createRedisClient } from '@outboundiq/core';
import type { Redis } from 'ioredis';
import { createAuthFailures } from '../src/auth-failures.js';
import { AUTH, REDIS_URL, TOKENS, createHarness, validWebhook, type Harness } from './harness.js';

/**
 * Guessing slowed: failed sign-ins from one address are answered 429 once past the limit, on the
 * API, the dashboard and portal tokens alike, counted in Redis across admin copies. A valid token
 * is never counted and never refused, whatever its address has been doing.
 */
const LIMITS = { failures: 5, windowSeconds: 60, blockSeconds: 120 };
const prefix = `test-admin-ratelimit-${process.pid}-${Date.now()}`;
let limiterRedis: Redis;
let replicas: [Harness, Harness];
let portalToken: string;
const url = '/v1/companies/guessed/webhooks';

beforeAll(async () => {
  limiterRedis = createRedisClient({ url: REDIS_URL, role: 'publisher', name: 'ratelimit-test' });
  const logger = createLogger({ name: 'ratelimit-test', level: 'silent' });
  const failures = () => createAuthFailures({ redis: limiterRedis, keyPrefix: `${prefix}:auth-fail`, logger, limits: LIMITS });
  replicas = [createHarness('ratelimit-1', { prefix, authFailures: failures() }), createHarness('ratelimit-2', { prefix, authFailures: failures() })];
  await replicas[0].app.inject({ method: 'POST', url, headers: AUTH, payload: validWebhook() });
  portalToken = (await replicas[0].app.inject({ method: 'POST', url: '/v1/companies/guessed/portal-sessions', headers: AUTH })).json().token;
});
afterAll(async () => {
  for (const replica of replicas) await replica.close();
  await limiterRedis.quit();
});

type Attempt = { address: string; headers?: Record<string, string>; path?: string; replica?: 0 | 1 };
const attempt = ({ address, headers = {}, path = url, replica = 0 }: Attempt) =>
  replicas[replica].app.inject({ method: 'GET', url: path, headers, remoteAddress: address });
const wrong = (n: number) => ({ authorization: `Bearer wrong-token-${n}` });
const basic = (password: string) => ({ authorization: `Basic ${Buffer.from(`ops:${password}`).toString('base64')}` });

describe('failed sign-ins from one address', () => {
  it('are 401 up to the limit, then 429 with Retry-After, while valid tokens from that address still get in', async () => {
    const address = '198.51.100.1';
    for (let n = 0; n < LIMITS.failures; n++) expect((await attempt({ address, headers: wrong(n) })).statusCode).toBe(401);
    const refused = await attempt({ address, headers: wrong(99) });
    expect(refused.statusCode).toBe(429);
    expect(refused.json().error.code).toBe('too_many_requests');
    const wait = Number(refused.headers['retry-after']);
    expect(Number.isInteger(wait) && wait > 0 && wait <= LIMITS.blockSeconds).toBe(true);

    // The same address, meanwhile: an operator's token and a portal token are answered as ever.
    for (const headers of [AUTH, { authorization: `Bearer ${TOKENS[1]}` }, { authorization: `Bearer ${portalToken}` }]) {
      const res = await attempt({ address, headers });
      expect(res.statusCode).toBe(200);
      expect(res.json().webhooks).toHaveLength(1);
    }
    // ...and its guesses, even one more with no token at all, are still refused.
    expect((await attempt({ address })).statusCode).toBe(429);
    // Another address is not touched by this one's guesses.
    expect((await attempt({ address: '198.51.100.2', headers: wrong(1) })).statusCode).toBe(401);
  });

  it('count the same on every admin copy (the counter is in Redis)', async () => {
    const address = '198.51.100.3';
    for (let n = 0; n < LIMITS.failures; n++) {
      expect((await attempt({ address, headers: wrong(n), replica: (n % 2) as 0 | 1 })).statusCode).toBe(401);
    }
    expect((await attempt({ address, headers: wrong(9), replica: 0 })).statusCode).toBe(429);
    expect((await attempt({ address, headers: wrong(9), replica: 1 })).statusCode).toBe(429);
  });

  it('count on the dashboard (HTTP Basic) and with bad portal tokens alike', async () => {
    const address = '198.51.100.4';
    const bad = [
      { path: '/admin/queues', headers: basic('wrong') },
      { path: '/admin/queues', headers: basic('also-wrong') },
      { headers: { authorization: `Bearer ${portalToken.slice(0, -1)}x` } },
      { headers: { authorization: `Bearer ${portalToken.slice(0, -2)}` } },
      { path: '/metrics', headers: wrong(0) },
    ];
    for (const a of bad) expect((await attempt({ address, ...a })).statusCode).toBe(401);
    const board = await attempt({ address, path: '/admin/queues', headers: basic('guess') });
    expect(board.statusCode).toBe(429);
    expect((await attempt({ address, path: '/admin/queues', headers: basic(TOKENS[0]) })).statusCode).toBe(200);
  });

  it('never count a valid token: however many, the next failure is a plain 401', async () => {
    const address = '198.51.100.5';
    for (let n = 0; n < 3 * LIMITS.failures; n++) {
      const headers = n % 2 === 0 ? AUTH : { authorization: `Bearer ${portalToken}` };
      expect((await attempt({ address, headers })).statusCode).toBe(200);
    }
    expect((await attempt({ address, headers: wrong(0) })).statusCode).toBe(401);
  });

  it('are counted under the stack key prefix, one key per address, expiring by itself', async () => {
    const keys = await limiterRedis.keys(`${prefix}:auth-fail:*`);
    expect(keys.sort()).toEqual(['198.51.100.1', '198.51.100.2', '198.51.100.3', '198.51.100.4', '198.51.100.5'].map((a) => `${prefix}:auth-fail:${a}`));
    for (const key of keys) {
      const ttl = await limiterRedis.pttl(key);
      expect(ttl > 0 && ttl <= LIMITS.blockSeconds * 1000).toBe(true);
    }
  });
});

describe('behind a proxy (TRUST_PROXY)', () => {
  const proxy = '10.0.0.7';
  const behind = async (trustProxy: number | undefined) => {
    const logger = createLogger({ name: 'ratelimit-proxy-test', level: 'silent' });
    const authFailures = createAuthFailures({ redis: limiterRedis, keyPrefix: `${prefix}:proxy-${trustProxy ?? 'none'}:auth-fail`, logger, limits: LIMITS });
    return createHarness(`ratelimit-proxy-${trustProxy ?? 'none'}`, { prefix, authFailures, ...(trustProxy === undefined ? {} : { trustProxy }) });
  };
  const via = (admin: Harness, client: string, n: number) =>
    admin.app.inject({ method: 'GET', url, remoteAddress: proxy, headers: { ...wrong(n), 'x-forwarded-for': client } });

  it('counts each client named by the trusted proxy on its own: one guesser does not block another client', async () => {
    const admin = await behind(1);
    try {
      for (let n = 0; n < LIMITS.failures; n++) expect((await via(admin, '203.0.113.10', n)).statusCode).toBe(401);
      expect((await via(admin, '203.0.113.10', 99)).statusCode).toBe(429);
      // Another customer behind the same ingress, with an expired session: told 401, not 429.
      expect((await via(admin, '203.0.113.11', 1)).statusCode).toBe(401);
      // A forged X-Forwarded-For in front of the proxy's own entry changes nothing: the proxy's hop counts.
      expect((await via(admin, '192.0.2.55, 203.0.113.10', 100)).statusCode).toBe(429);
    } finally {
      await admin.close();
    }
  });

  it('without TRUST_PROXY ignores X-Forwarded-For, so a guesser cannot name a new address per guess', async () => {
    const admin = await behind(undefined);
    try {
      for (let n = 0; n < LIMITS.failures; n++) expect((await via(admin, `203.0.113.${20 + n}`, n)).statusCode).toBe(401);
      expect((await via(admin, '203.0.113.99', 99)).statusCode).toBe(429);
    } finally {
      await admin.close();
    }
  });
});

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createRedisClient } from '@outboundiq/core';
import { AUTH, createHarness, validWebhook, type Harness } from './harness.js';

describe('over a real socket', () => {
  let h: Harness;
  let base: string;
  beforeAll(async () => {
    h = createHarness('socket');
    await h.app.listen({ port: 0, host: '127.0.0.1' });
    const address = h.app.server.address();
    if (address === null || typeof address === 'string') throw new Error('no TCP address');
    base = `http://127.0.0.1:${address.port}`;
  });
  afterAll(async () => {
    await h.close();
  });

  it('creates, lists and deletes a webhook', async () => {
    const created = await fetch(`${base}/v1/companies/acme-socket/webhooks`, {
      method: 'POST',
      headers: { ...AUTH, 'content-type': 'application/json' },
      body: JSON.stringify(validWebhook()),
    });
    expect(created.status).toBe(201);
    const { id, signingSecret } = (await created.json()) as { id: string; signingSecret: string };
    expect(signingSecret).toMatch(/^whsec_/);

    const list = await fetch(`${base}/v1/companies/acme-socket/webhooks`, { headers: AUTH });
    expect(list.status).toBe(200);
    expect(((await list.json()) as { webhooks: { id: string }[] }).webhooks.map((w) => w.id)).toEqual([id]);

    const deleted = await fetch(`${base}/v1/companies/acme-socket/webhooks/${id}`, { method: 'DELETE', headers: AUTH });
    expect(deleted.status).toBe(204);
    expect(await deleted.text()).toBe('');
  });

  it('answers 401 without a token and 200 on the health checks', async () => {
    expect((await fetch(`${base}/v1/companies/acme-socket/webhooks`)).status).toBe(401);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
  });
});

describe('/readyz', () => {
  it('is 503 once shutting down', async () => {
    const h = createHarness('ready-shutdown');
    try {
      expect((await h.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
      h.readiness.shutDown();
      const res = await h.app.inject({ method: 'GET', url: '/readyz' });
      expect(res.statusCode).toBe(503);
      expect((await h.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    } finally {
      await h.close();
    }
  });

  it('is 503 when Redis does not answer', async () => {
    // Nothing listens on port 1: every PING fails.
    const deadRedis = createRedisClient({ url: 'redis://127.0.0.1:1', role: 'publisher', name: 'admin-test-dead', commandTimeoutMs: 200 });
    const h = createHarness('ready-dead', { pingRedis: deadRedis });
    try {
      const res = await h.app.inject({ method: 'GET', url: '/readyz' });
      expect(res.statusCode).toBe(503);
      expect(res.json()).toEqual({ status: 'redis-unavailable' });
    } finally {
      deadRedis.disconnect();
      await h.close();
    }
  });
});

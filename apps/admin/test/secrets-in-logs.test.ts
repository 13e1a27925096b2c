import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { TOKENS, createHarness, validWebhook, type Harness } from './harness.js';

let h: Harness;
beforeAll(() => {
  h = createHarness('logs');
});
afterAll(async () => {
  await h.close();
});

it('never writes a signing secret or a token to the log, nor answers one from list or get', async () => {
  const auth = { authorization: `Bearer ${TOKENS[0]}` };
  const base = '/v1/companies/acme-logs/webhooks';
  const created = await h.app.inject({ method: 'POST', url: base, headers: auth, payload: validWebhook() });
  const { id, signingSecret: first } = created.json();
  const rotated = await h.app.inject({ method: 'POST', url: `${base}/${id}/rotate-secret`, headers: auth });
  const second = rotated.json().signingSecret as string;
  expect([first, second].every((s) => typeof s === 'string' && s.startsWith('whsec_'))).toBe(true);

  const answers = [
    await h.app.inject({ method: 'GET', url: base, headers: auth }),
    await h.app.inject({ method: 'GET', url: `${base}/${id}`, headers: auth }),
    await h.app.inject({ method: 'PATCH', url: `${base}/${id}`, headers: auth, payload: { name: 'renamed' } }),
  ];
  for (const res of answers) {
    expect(res.statusCode).toBe(200);
    expect(res.body).not.toContain(first);
    expect(res.body).not.toContain(second);
  }
  // Failed and dashboard logins carry tokens too; a bad body is logged nowhere either.
  await h.app.inject({ method: 'GET', url: base, headers: { authorization: `Bearer ${TOKENS[1]}x` } });
  await h.app.inject({ method: 'GET', url: '/admin/queues', headers: { authorization: `Basic ${Buffer.from(`ops:${TOKENS[1]}`).toString('base64')}` } });
  await h.app.inject({ method: 'POST', url: base, headers: { ...auth, 'content-type': 'application/json' }, payload: `{"name": "${TOKENS[0]}` });

  // The capture works: every request above left its lines.
  const requests = h.logLines.filter((line) => line.includes('"incoming request"'));
  expect(requests.length).toBeGreaterThanOrEqual(8);
  expect(h.logLines.some((line) => line.includes(`${id}/rotate-secret`))).toBe(true);

  const forbidden = [first, second, ...TOKENS, Buffer.from(`ops:${TOKENS[1]}`).toString('base64')];
  const leaks = h.logLines.flatMap((line) => forbidden.filter((f) => line.includes(f)).map((f) => `${f} in ${line}`));
  expect(leaks).toEqual([]);
});

it('never writes a header value or a portal token to the log, nor answers a header value', async () => {
  const auth = { authorization: `Bearer ${TOKENS[0]}` };
  const base = '/v1/companies/acme-logs-portal/webhooks';
  const apiKey = 'crm-api-key-7f3a9c1e5b2d4f60';
  const replaced = 'crm-api-key-replaced-0a1b2c3d';
  const created = await h.app.inject({ method: 'POST', url: base, headers: auth, payload: validWebhook({ headers: { 'X-Api-Key': apiKey } }) });
  expect(created.json().headers).toEqual({ 'X-Api-Key': '••••4f60' });
  const session = await h.app.inject({ method: 'POST', url: '/v1/companies/acme-logs-portal/portal-sessions', headers: auth });
  const { token } = session.json() as { token: string };
  const portal = { authorization: `Bearer ${token}` };
  const id = created.json().id as string;

  const answers = [
    session,
    await h.app.inject({ method: 'GET', url: base, headers: portal }),
    await h.app.inject({ method: 'PATCH', url: `${base}/${id}`, headers: portal, payload: { headers: { 'X-Api-Key': '••••4f60', 'X-Other': replaced } } }),
    await h.app.inject({ method: 'PATCH', url: `${base}/${id}`, headers: portal, payload: { headers: { 'X-Api-Key': replaced } } }),
    await h.app.inject({ method: 'GET', url: `${base}/${id}`, headers: portal }),
    // Refused ones: another company, a masked value with nothing behind it, a bad body quoting the token.
    await h.app.inject({ method: 'GET', url: '/v1/companies/someone-else/webhooks', headers: portal }),
    await h.app.inject({ method: 'PATCH', url: `${base}/${id}`, headers: portal, payload: { headers: { 'X-New': '••••' } } }),
    await h.app.inject({ method: 'POST', url: base, headers: { ...portal, 'content-type': 'application/json' }, payload: `{"name": "${token}` }),
    await h.app.inject({ method: 'GET', url: base, headers: { authorization: `Bearer ${token.slice(0, -1)}` } }),
  ];
  expect(answers.map((a) => a.statusCode)).toEqual([201, 200, 200, 200, 200, 403, 400, 400, 401]);
  for (const res of answers) {
    expect(res.body).not.toContain(apiKey);
    expect(res.body).not.toContain(replaced);
  }
  expect((await h.store.loadForDelivery('acme-logs-portal', id))!.webhook.headers).toEqual({ 'X-Api-Key': replaced });

  expect(h.logLines.some((line) => line.includes('/v1/companies/acme-logs-portal/portal-sessions'))).toBe(true);
  const forbidden = [apiKey, replaced, token, token.split('.')[2]!];
  const leaks = h.logLines.flatMap((line) => forbidden.filter((f) => line.includes(f)).map((f) => `${f} in ${line}`));
  expect(leaks).toEqual([]);
});

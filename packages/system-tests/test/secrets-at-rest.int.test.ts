import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { createKeys, signBody } from '@outboundiq/core';
import { startRedisServer, type RedisServer } from '@outboundiq/testkit';
import { ADMIN_TOKEN, startAdmin, type AdminUnderTest } from '../src/browser.js';
import { sampleDial, startPipeline, type Pipeline } from '../src/harness.js';

// A whole run (admin, batcher, sender as processes) on a Redis of the test's own, then what is at
// rest and in the logs: a dump of that Redis (`redis-cli --rdb`, strings stored uncompressed so a
// value in clear could not hide in LZF) and every log line hold no signing secret, no header value
// and no portal token, while the receiver got the header values in clear.
const COMPANY = 'acme-at-rest';
const API_KEY = 'crm-api-key-1f4e9a77c2d05b3e';
const SHORT = 'sh0rt-v4l';
const EXTRA = 'extra-value-8c61d2f0aa';
const LEGACY = 'legacy-clear-value-5e0b9d';
let server: RedisServer;
let p: Pipeline;
let admin: AdminUnderTest;
const secrets: string[] = [ADMIN_TOKEN, API_KEY, SHORT, EXTRA, LEGACY];
const dumpDir = mkdtempSync(join(tmpdir(), 'oiq-dump-'));

beforeAll(async () => {
  server = await startRedisServer({ extraArgs: ['--rdbcompression', 'no'] });
  p = await startPipeline('at-rest', {}, { redisUrl: server.url });
  admin = await startAdmin('at-rest', p.prefix, false, { REDIS_URL: server.url, LOG_LEVEL: 'trace' });
}, 60_000);
afterAll(async () => {
  await admin?.close();
  await p?.close();
  await server?.stop();
  rmSync(dumpDir, { recursive: true, force: true });
});

const call = async (method: string, path: string, token: string, body?: unknown) => {
  const res = await fetch(`${admin.baseUrl}/v1/companies/${COMPANY}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: res.status === 204 ? null : ((await res.json()) as any) };
};

it('keeps no secret in a Redis dump or a log line, and sends the header values in clear', async () => {
  const created = await call('POST', '/webhooks', ADMIN_TOKEN, { name: 'CRM', url: p.receiver.url('/crm'), headers: { 'X-Api-Key': API_KEY, 'X-Short': SHORT } });
  expect(created.status).toBe(201);
  secrets.push(created.json.signingSecret);
  const rotated = await call('POST', `/webhooks/${created.json.id}/rotate-secret`, ADMIN_TOKEN);
  const secret = rotated.json.signingSecret as string;
  secrets.push(secret);

  // A customer through a portal session: keeps the key as shown, adds a header.
  const session = await call('POST', '/portal-sessions', ADMIN_TOKEN);
  expect(session.status).toBe(201);
  const token = session.json.token as string;
  secrets.push(token, token.split('.')[2]!);
  const shown = (await call('GET', `/webhooks/${created.json.id}`, token)).json.headers;
  expect(shown).toEqual({ 'X-Api-Key': `••••${API_KEY.slice(-4)}`, 'X-Short': '••••' });
  expect((await call('PATCH', `/webhooks/${created.json.id}`, token, { headers: { ...shown, 'X-Extra': EXTRA } })).status).toBe(200);

  // A webhook stored in clear by an older admin, then changed once: sealed from then on.
  const legacy = await call('POST', '/webhooks', ADMIN_TOKEN, { name: 'Legacy', url: p.receiver.url('/legacy') });
  const key = createKeys(p.prefix).webhooks(COMPANY);
  const { sealedHeaders: _none, ...old } = JSON.parse((await p.redis.hget(key, legacy.json.id))!);
  await p.redis.hset(key, legacy.json.id, JSON.stringify({ ...old, headers: { 'X-Legacy': LEGACY } }));
  expect((await call('PATCH', `/webhooks/${legacy.json.id}`, token, { name: 'Legacy, renamed' })).status).toBe(200);

  // Guesses and a revocation, which log too.
  for (const bad of ['wrong', `${token.slice(0, -1)}x`, token.slice(0, 40)]) expect((await call('GET', '/webhooks', bad)).status).toBe(401);
  expect((await call('DELETE', '/portal-sessions', ADMIN_TOKEN)).status).toBe(204);
  expect((await call('GET', '/webhooks', token)).status).toBe(401);

  // A delivery: the receiver gets every value in clear, signed with the current secret.
  await expect(p.producer.publish(sampleDial(COMPANY, 1))).resolves.toEqual({ enqueued: true });
  const [crm] = await p.receiver.waitForRequests('/crm', 1);
  expect(crm!.headers).toMatchObject({ 'x-api-key': API_KEY, 'x-short': SHORT, 'x-extra': EXTRA });
  expect(crm!.headers['x-outboundiq-signature']).toBe(signBody(crm!.body, secret));
  const [old1] = await p.receiver.waitForRequests('/legacy', 1);
  expect(old1!.headers['x-legacy']).toBe(LEGACY);

  // The dump holds this run's data (the check can see it) and none of its secrets.
  const file = join(dumpDir, 'dump.rdb');
  execFileSync('redis-cli', ['-p', String(server.port), '--rdb', file], { stdio: 'ignore' });
  const dump = readFileSync(file);
  // Lua's cjson writes '/' escaped: each secret is looked for in both spellings.
  const spellings = (s: string) => [s, s.replace(/\//g, '\\/')];
  for (const present of [COMPANY, `127.0.0.1:${new URL(p.receiver.url('/crm')).port}`, 'Legacy, renamed', `••••${API_KEY.slice(-4)}`, 'X-Extra']) {
    expect([present, dump.includes(Buffer.from(present, 'utf8'))]).toEqual([present, true]);
  }
  const inDump = secrets.filter((s) => spellings(s).some((spelt) => dump.includes(Buffer.from(spelt, 'utf8'))));
  expect(inDump).toEqual([]);

  // Every log line of the run: admin (trace), batcher and sender (debug).
  const req = (l: Record<string, unknown>) => (l.req ?? {}) as { method?: string; url?: string };
  await admin.process.waitForLog((l) => l.msg === 'incoming request' && req(l).method === 'DELETE' && req(l).url?.endsWith('/portal-sessions') === true);
  const lines = [...p.logs.raw, ...admin.process.logs.map((l) => JSON.stringify(l))];
  expect(lines.some((l) => l.includes('rotate-secret'))).toBe(true);
  expect(p.logs.lines.some((l) => l.msg === 'delivered')).toBe(true);
  const leaks = lines.flatMap((line) => secrets.filter((s) => line.includes(s)).map((s) => `${s} in ${line}`));
  expect(leaks).toEqual([]);
}, 60_000);

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { REDIS_URL, TOKENS, deleteKeys } from './harness.js';

const APP_DIR = fileURLToPath(new URL('..', import.meta.url));
const MAIN = `${APP_DIR}dist/main.js`;
const PREFIX = `test-admin-main-${process.pid}-${Date.now()}`;

beforeAll(() => {
  // The process under test is the built one, from the build `pnpm test` makes before any test runs
  // (run `pnpm build` first when running this file alone). Never rebuilt here: other suites run
  // apps/admin/dist at the same time, and a rebuild under them rewrites the files they load.
  const built = [MAIN, ...['core', 'webhook-store', 'runtime'].map((p) => `${APP_DIR}../../packages/${p}/dist/index.js`)];
  const missing = built.filter((f) => !existsSync(f));
  if (missing.length > 0) throw new Error(`build the workspace first (pnpm build): missing ${missing.join(', ')}`);
});

afterAll(async () => {
  const redis = new Redis(REDIS_URL);
  await deleteKeys(redis, PREFIX);
  await redis.quit();
});

function start(env: Record<string, string>) {
  const child = spawn(process.execPath, [MAIN], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const out: string[] = [];
  const err: string[] = [];
  let rest = '';
  child.stdout!.on('data', (c: Buffer) => {
    const lines = (rest + c.toString()).split('\n');
    rest = lines.pop() ?? '';
    out.push(...lines.filter(Boolean));
  });
  child.stderr!.on('data', (c: Buffer) => err.push(c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, out, err, exited };
}

async function waitForLine(lines: string[], match: RegExp, child: ChildProcess): Promise<string> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const line = lines.find((l) => match.test(l));
    if (line) return line;
    if (child.exitCode !== null) throw new Error(`exited early: ${lines.join('\n')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no line matching ${match}: ${lines.join('\n')}`);
}

it('serves, then on SIGTERM turns readiness off first, closes everything and exits 0', async () => {
  const app = start({ ADMIN_API_TOKENS: TOKENS.join(','), PORT: '0', HOST: '127.0.0.1', KEY_PREFIX: PREFIX, REDIS_URL });
  const listening = await waitForLine(app.out, /Server listening at http:\/\/127\.0\.0\.1:\d+/, app.child);
  const base = /http:\/\/127\.0\.0\.1:\d+/.exec(listening)![0];
  expect(app.out.some((l) => l.includes('SECRETS_ENCRYPTION_KEY is not set') && l.includes('"level":40'))).toBe(true);

  expect((await fetch(`${base}/readyz`)).status).toBe(200);
  const list = await fetch(`${base}/v1/companies/acme-main/webhooks`, { headers: { authorization: `Bearer ${TOKENS[1]}` } });
  expect(list.status).toBe(200);

  app.child.kill('SIGTERM');
  expect(await app.exited).toBe(0);
  const steps = app.out.filter((l) => l.includes('shutdown step done')).map((l) => (JSON.parse(l) as { step: string }).step);
  expect(steps).toEqual(['readiness off', 'close http server', 'close queues', 'close redis']);
});

it('refuses to start on a bad configuration, naming the variable', async () => {
  const app = start({ PORT: 'abc', KEY_PREFIX: PREFIX, REDIS_URL });
  expect(await app.exited).toBe(1);
  const stderr = app.err.join('');
  expect(stderr).toContain('PORT');
  expect(stderr).toContain('ADMIN_API_TOKENS');
});

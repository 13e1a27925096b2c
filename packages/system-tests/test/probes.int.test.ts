import { afterAll, describe, expect, it } from '@jest/globals';
import { freePort, spawnApp, startRedisServer, uniquePrefix, waitFor, type AppName, type AppProcess, type RedisServer } from '@outboundiq/testkit';

const APPS: AppName[] = ['batcher', 'sender'];

async function probe(port: number, path: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: res.status, body: await res.json() };
}

// Issue 17: a worker started while Redis is unreachable serves its probes at once (alive, not ready,
// saying why), waits for Redis rather than dying, and is ready (and says 'started') once Redis is up.
describe('probes tell the truth from the first second', () => {
  const procs: AppProcess[] = [];
  let redis: RedisServer | undefined;

  afterAll(async () => {
    await Promise.all(procs.map((p) => p.kill('SIGKILL')));
    await redis?.stop();
  });

  it('batcher and sender: /healthz 200 and /readyz 503 "redis unreachable" while Redis is down, then ready and started', async () => {
    const port = await freePort();
    const env = { PORT: '0', REDIS_URL: `redis://127.0.0.1:${port}`, KEY_PREFIX: uniquePrefix('probes') };
    const ports = new Map<AppName, number>();
    for (const app of APPS) {
      const proc = spawnApp(app, env);
      procs.push(proc);
      const line = await proc.waitForLog((l) => l.msg === 'health server listening', 10_000);
      ports.set(app, line.port as number);
    }

    for (const app of APPS) {
      const healthPort = ports.get(app)!;
      expect([app, await probe(healthPort, '/healthz')]).toEqual([app, { status: 200, body: { status: 'ok' } }]);
      expect([app, await probe(healthPort, '/readyz')]).toEqual([app, { status: 503, body: { ready: false, reason: 'redis unreachable' } }]);
    }
    // Still waiting, not dying, a little later.
    await new Promise((r) => setTimeout(r, 1_500));
    for (const [i, app] of APPS.entries()) {
      expect([app, procs[i]!.child.exitCode]).toEqual([app, null]);
      expect([app, procs[i]!.logs.some((l) => l.msg === `${app} started`)]).toEqual([app, false]);
      expect([app, (await probe(ports.get(app)!, '/readyz')).status]).toEqual([app, 503]);
    }

    redis = await startRedisServer({ port });
    for (const [i, app] of APPS.entries()) {
      const healthPort = ports.get(app)!;
      await waitFor(async () => (await probe(healthPort, '/readyz')).status === 200, 20_000, `${app} ready`);
      expect(await probe(healthPort, '/readyz')).toEqual({ status: 200, body: { ready: true } });
      await procs[i]!.waitForLog((l) => l.msg === `${app} started`, 5_000);
    }
  }, 60_000);
});

// The admin too: listening from the first second, /readyz 503 with the reason and every API route
// 503 (no webhook may be written before the key layout), then ready once Redis is up and checked.
describe('admin probes tell the truth from the first second', () => {
  let admin: AppProcess | undefined;
  let redis: RedisServer | undefined;

  afterAll(async () => {
    await admin?.kill('SIGKILL');
    await redis?.stop();
  });

  it('admin: /healthz 200, /readyz 503 "redis unreachable" and the API 503 while Redis is down, then ready and serving', async () => {
    const redisPort = await freePort();
    const port = await freePort();
    const token = 'probe-admin-token';
    admin = spawnApp('admin', { PORT: String(port), HOST: '127.0.0.1', REDIS_URL: `redis://127.0.0.1:${redisPort}`, KEY_PREFIX: uniquePrefix('probes-admin'), ADMIN_API_TOKENS: token });
    await admin.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith('Server listening'), 10_000);
    const api = () => fetch(`http://127.0.0.1:${port}/v1/companies/acme/webhooks`, { headers: { authorization: `Bearer ${token}` } });

    expect(await probe(port, '/healthz')).toEqual({ status: 200, body: { status: 'ok' } });
    expect(await probe(port, '/readyz')).toEqual({ status: 503, body: { status: 'starting', reason: 'redis unreachable' } });
    const refused = await api();
    expect([refused.status, await refused.json()]).toEqual([503, { error: { code: 'starting', message: 'the admin is starting: redis unreachable' } }]);
    // Still waiting, not dying, a little later.
    await new Promise((r) => setTimeout(r, 1_500));
    expect(admin.child.exitCode).toBeNull();
    expect((await probe(port, '/readyz')).status).toBe(503);

    redis = await startRedisServer({ port: redisPort });
    await waitFor(async () => (await probe(port, '/readyz')).status === 200, 20_000, 'admin ready');
    expect(await probe(port, '/readyz')).toEqual({ status: 200, body: { status: 'ready' } });
    await admin.waitForLog((l) => l.msg === 'admin started', 5_000);
    const listed = await api();
    expect([listed.status, await listed.json()]).toEqual([200, { webhooks: [] }]);
  }, 60_000);
});

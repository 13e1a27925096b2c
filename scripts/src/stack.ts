/**
 * `pnpm start`: the whole local stack (admin with dashboard, batcher, sender) as real processes
 * against REDIS_URL, starting a throwaway redis-server when none answers there.
 * `pnpm demo` (`--demo`): also a demo company whose webhook points at a local HTTPS receiver that
 * verifies every signature with the doc's own snippet, and a publisher of sample dials at a gentle
 * rate; every batch is printed as it arrives.
 *
 * Environment: REDIS_URL, KEY_PREFIX, ADMIN_API_TOKENS (else a random token, printed), ADMIN_PORT
 * (3000), BATCHER_PORT (3001), SENDER_PORT (3002), DEMO_RATE (dials per second, 5).
 */
import { randomBytes } from 'node:crypto';
import { createKeys, createLogger } from '@outboundiq/core';
import {
  REPO_ROOT,
  ensureTestCa,
  redisAnswers,
  spawnApp,
  startRedisServer,
  waitFor,
  type AppName,
  type AppProcess,
  type RedisServer,
} from '@outboundiq/testkit';
import { startDemo, type Demo } from './demo.js';
import { formatLogLine } from './log-format.js';

const say = (line: string) => process.stdout.write(`${line}\n`);

async function main(): Promise<void> {
  const demoMode = process.argv.includes('--demo');
  const env = process.env;
  const redisUrl = env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const keyPrefix = env.KEY_PREFIX ?? 'oiq';
  const token = env.ADMIN_API_TOKENS?.split(',')[0] ?? `dev-${randomBytes(12).toString('hex')}`;
  const ports: Record<AppName, string> = { admin: env.ADMIN_PORT ?? '3000', batcher: env.BATCHER_PORT ?? '3001', sender: env.SENDER_PORT ?? '3002' };
  const ca = ensureTestCa(`${REPO_ROOT}.test-ca`);

  const redis = await ensureRedis(redisUrl);
  const appEnv: Record<string, string> = {
    REDIS_URL: redisUrl,
    KEY_PREFIX: keyPrefix,
    ADMIN_API_TOKENS: env.ADMIN_API_TOKENS ?? token,
    LOG_LEVEL: env.LOG_LEVEL ?? 'info',
    NODE_EXTRA_CA_CERTS: ca.caPath,
    ...(env.SECRETS_ENCRYPTION_KEY ? { SECRETS_ENCRYPTION_KEY: env.SECRETS_ENCRYPTION_KEY } : {}),
    // The demo receiver listens on loopback, which the destination policy refuses by default.
    ...(demoMode ? { ALLOW_PRIVATE_DESTINATIONS: 'true' } : env.ALLOW_PRIVATE_DESTINATIONS ? { ALLOW_PRIVATE_DESTINATIONS: env.ALLOW_PRIVATE_DESTINATIONS } : {}),
  };
  const apps = (['admin', 'batcher', 'sender'] as const).map((name) => {
    const app = spawnApp(name, { ...appEnv, PORT: ports[name] });
    echoLogs(app);
    return app;
  });
  let demo: Demo | undefined;
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    say('\nstopping the stack…');
    await demo?.stop();
    const exits = await Promise.all(apps.map((a) => a.kill('SIGTERM')));
    await redis?.stop();
    const clean = exits.every((e) => e.code === 0 || e.signal === 'SIGTERM');
    process.exit(code !== 0 ? code : clean ? 0 : 1);
  };
  process.once('SIGINT', () => void stop(0));
  process.once('SIGTERM', () => void stop(0));
  for (const app of apps) {
    void app.exited.then(({ code }) => {
      if (!stopping) {
        say(`${app.name} exited unexpectedly (code ${code}); stopping`);
        void stop(1);
      }
    });
  }

  await Promise.all(apps.map((app) => waitReady(app.name, ports[app.name as AppName])));
  const admin = `http://127.0.0.1:${ports.admin}`;
  say('');
  say(`stack ready on ${redisUrl} (key prefix ${keyPrefix})`);
  say(`  admin API     ${admin}/v1/companies/<companySlug>/webhooks   (Authorization: Bearer ${token})`);
  say(`  dashboard     ${admin}/admin/queues   (any user name, password: ${token})`);
  say(`  webhooks page ${admin}/settings/webhooks   (any company slug, admin token: ${token})`);
  say(`  OpenAPI       ${admin}/v1/openapi.json`);
  if (demoMode) {
    demo = await startDemo({ adminUrl: admin, token, redisUrl, keys: createKeys(keyPrefix), tls: ca, rate: Number(env.DEMO_RATE ?? 5), say });
  }
  say('press Ctrl-C to stop');
}

async function ensureRedis(url: string): Promise<RedisServer | undefined> {
  const parsed = new URL(url);
  const port = Number(parsed.port || 6379);
  const local = ['127.0.0.1', 'localhost', '::1', '[::1]'].includes(parsed.hostname);
  if (!local || (await redisAnswers(port))) return undefined;
  say(`no Redis answers at ${url}: starting a throwaway redis-server on port ${port} (stopped on exit)`);
  return startRedisServer({ port, appendOnly: false });
}

async function waitReady(name: string, port: string): Promise<void> {
  await waitFor(async () => {
    try {
      return (await fetch(`http://127.0.0.1:${port}/readyz`)).ok;
    } catch {
      return false;
    }
  }, 30_000, `${name} to be ready on port ${port}`);
}

function echoLogs(app: AppProcess): void {
  let shown = 0;
  let shownText = 0;
  const pump = () => {
    while (shown < app.logs.length) say(formatLogLine(app.name, app.logs[shown++]!));
    while (shownText < app.text.length) say(`[${app.name.padEnd(7)}] ${app.text[shownText++]!}`);
  };
  // spawnApp parses the lines on the same events; print once it has.
  app.child.stdout!.on('data', () => setImmediate(pump));
  app.child.stderr!.on('data', () => setImmediate(pump));
}

main().catch((err: unknown) => {
  createLogger({ name: 'stack' }).fatal({ err }, 'the stack failed to start');
  process.exit(1);
});

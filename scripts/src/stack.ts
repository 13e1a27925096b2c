/**
 * `pnpm start`: the whole local stack (admin with dashboard, batcher, sender) as real processes
 * against REDIS_URL, starting a throwaway redis-server when none answers there.
 * `pnpm demo` (`--demo`): also a demo company whose webhook points at a local HTTPS receiver that
 * verifies every signature with the doc's own snippet, and a publisher of sample dials at a gentle
 * rate; every batch is printed as it arrives.
 *
 * Options and environment: USAGE below (`pnpm start -- --help`).
 */
import { randomBytes } from 'node:crypto';
import { createKeys, createLogger } from '@outboundiq/core';
import {
  REPO_ROOT,
  ensureTestCa,
  redisAnswers,
  requireTools,
  spawnApp,
  startRedisServer,
  waitFor,
  type AppName,
  type AppProcess,
  type RedisServer,
} from '@outboundiq/testkit';
import { UsageError, commandLine, exitWithError, positiveNumber, strictArgs } from './cli.js';
import { startDemo, type Demo } from './demo.js';
import { formatLogLine } from './log-format.js';

const say = (line: string) => process.stdout.write(`${line}\n`);

const USAGE = `pnpm start [-- options]     the local stack: admin (API, dashboard, webhooks page), batcher and sender
pnpm demo                   the same, plus a demo company whose webhook is a local HTTPS receiver printing
                            every batch it verifies, and a publisher of sample dials; Ctrl-C stops it all
  --demo      what pnpm demo adds
  --help      this text
Environment:
  REDIS_URL      the Redis to use (default redis://127.0.0.1:6379; when it is local and nothing answers,
                 a throwaway redis-server is started there and stopped on exit)
  KEY_PREFIX     (default oiq)       ADMIN_API_TOKENS   (default: a random token, printed)
  ADMIN_PORT     (default 3000)      BATCHER_PORT (3001)     SENDER_PORT (3002)
  DEMO_RATE      dials per second of the demo (default 5)
  LOG_LEVEL, SECRETS_ENCRYPTION_KEY, ALLOW_PRIVATE_DESTINATIONS: passed to the apps (README, Configuration)
Needs openssl (a local CA for the demo receiver), and redis-server unless REDIS_URL answers.`;

interface StackOptions {
  demo: boolean;
  redisUrl: string;
  ports: Record<AppName, string>;
  demoRate: number;
}

/** The command line and the environment it reads, each checked before anything starts (exit 2 when wrong). */
function readOptions(args: string[], env: NodeJS.ProcessEnv): StackOptions {
  const values = strictArgs(args, { demo: { type: 'boolean', default: false } });
  const redisUrl = env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  if (!URL.canParse(redisUrl) || !/^rediss?:$/.test(new URL(redisUrl).protocol)) throw new UsageError(`REDIS_URL must be a redis:// or rediss:// URL, not ${JSON.stringify(redisUrl)}`);
  const port = (name: string, fallback: string) => {
    const raw = env[name] ?? fallback;
    if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > 65_535) throw new UsageError(`${name} must be a port (1-65535), not ${JSON.stringify(raw)}`);
    return raw;
  };
  return {
    demo: values.demo ?? false,
    redisUrl,
    ports: { admin: port('ADMIN_PORT', '3000'), batcher: port('BATCHER_PORT', '3001'), sender: port('SENDER_PORT', '3002') },
    demoRate: positiveNumber('DEMO_RATE', env.DEMO_RATE ?? '5'),
  };
}

async function main(): Promise<void> {
  const env = process.env;
  const { demo: demoMode, redisUrl, ports, demoRate } = commandLine(process.argv.includes('--demo') ? 'pnpm demo' : 'pnpm start', USAGE, (args) => readOptions(args, env));
  const keyPrefix = env.KEY_PREFIX ?? 'oiq';
  const token = env.ADMIN_API_TOKENS?.split(',')[0] ?? `dev-${randomBytes(12).toString('hex')}`;
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
  // `on`, not `once`: under `pnpm start`, one Ctrl-C arrives twice (the terminal signals the whole
  // group, and pnpm passes its own on), and a second SIGINT with no listener would kill the stack
  // half way through stopping. `stop` runs once; every app has its own shutdown deadline.
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
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
    demo = await startDemo({ adminUrl: admin, token, redisUrl, keys: createKeys(keyPrefix), tls: ca, rate: demoRate, say });
  }
  say('press Ctrl-C to stop');
}

async function ensureRedis(url: string): Promise<RedisServer | undefined> {
  const parsed = new URL(url);
  const port = Number(parsed.port || 6379);
  const local = ['127.0.0.1', 'localhost', '::1', '[::1]'].includes(parsed.hostname);
  if (!local || (await redisAnswers(port))) return undefined;
  requireTools(['redis-server'], `nothing answers at ${url}, so the stack starts a Redis of its own; or set REDIS_URL to one`);
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
  if ((err as Error | undefined)?.name === 'MissingToolError') exitWithError(process.argv.includes('--demo') ? 'pnpm demo' : 'pnpm start', err);
  createLogger({ name: 'stack' }).fatal({ err }, 'the stack failed to start');
  process.exit(1);
});

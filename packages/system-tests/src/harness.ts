import { createKeys, createRedisClient, secretBoxFromEnv, type RedisClient, type WebhookCreate } from '@outboundiq/core';
import {
  Fleet, ONE_REDIS, connectBackend, ensureTestCa, deleteKeys, startHttpsReceiver, uniquePrefix, REPO_ROOT,
  type AppProcess, type Receiver, type TestBackend,
} from '@outboundiq/testkit';
import { createDialProducer, type DialProducer } from '@outboundiq/webhook-producer';
import { createWebhookStore, type WebhookStore } from '@outboundiq/webhook-store';
import { DeliveryQueues } from './queues.js';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export type PipelineApp = 'batcher' | 'sender';

/** What the apps printed, as operators would read it. */
export interface PipelineLogs {
  /** The JSON log lines of both processes, parsed, in arrival order; appended as they come. */
  lines: Record<string, unknown>[];
  /** Every line both processes printed, JSON or not, as printed. */
  raw: string[];
}

export interface Pipeline {
  prefix: string;
  redis: RedisClient;
  store: WebhookStore;
  producer: DialProducer;
  receiver: Receiver;
  /** Every shard's delivery queue. */
  queues: DeliveryQueues;
  logs: PipelineLogs;
  createWebhook(company: string, path: string, extra?: Partial<WebhookCreate>): Promise<{ id: string; secret: string; url: string }>;
  /** Starts the sender when it was held back with `{ holdSender: true }`. */
  startSender(): Promise<void>;
  /** The port of an app's health server (/healthz, /readyz, /metrics), from its own log line. */
  healthPort(app: PipelineApp): number;
  close(): Promise<void>;
}

export interface PipelineOptions {
  holdSender?: boolean;
  /** One Redis (default) or the local Redis Cluster, with its S. */
  backend?: TestBackend;
  /** One Redis of the test's own instead of REDIS_URL (with the default backend). */
  redisUrl?: string;
}

/** The port an app's health server logged ('health server listening'): PORT=0 picks a free one. */
function healthPortOf(proc: AppProcess): number {
  const line = proc.logs.find((l) => l.msg === 'health server listening');
  if (typeof line?.port !== 'number') throw new Error(`${proc.name} logged no 'health server listening' line with its port`);
  return line.port;
}

/**
 * The built batcher and sender as child processes (`node apps/<app>/dist/main.js`, the way operators
 * run them: packages never import apps), a real Redis (or Redis Cluster), a real HTTPS receiver on
 * loopback trusted through the test CA, and the producer library. A test that must inject into an
 * app (a fake DNS resolver) belongs next to that app instead.
 */
export async function startPipeline(name: string, env: Record<string, string> = {}, options: PipelineOptions = {}): Promise<Pipeline> {
  const prefix = uniquePrefix(name);
  const backend = await connectBackend(options.backend ?? ONE_REDIS, options.redisUrl ?? REDIS_URL);
  const ca = ensureTestCa(`${REPO_ROOT}.test-ca`);
  const receiver = await startHttpsReceiver(ca);
  const common: Record<string, string> = {
    ...backend.env, KEY_PREFIX: prefix, ALLOW_PRIVATE_DESTINATIONS: 'true', PORT: '0', LOG_LEVEL: 'debug',
    // The receiver's certificate is signed by the test CA: the sender trusts it as production trusts a CA.
    NODE_EXTRA_CA_CERTS: ca.caPath,
    ...env,
  };
  const logs: PipelineLogs = { lines: [], raw: [] };
  const fleet = new Fleet(common, {
    onLine: ({ raw, json }) => {
      logs.raw.push(raw);
      if (json) logs.lines.push(json);
    },
  });
  const keys = createKeys(prefix, Number(common.SHARDS));
  const redis = createRedisClient({ ...backend.target, role: 'worker', name: `test-${name}` });
  const producer = createDialProducer({ ...backend.producer, keyPrefix: prefix });
  const queues = new DeliveryQueues(redis, keys);
  const ports = new Map<PipelineApp, number>();
  const start = async (app: PipelineApp) => {
    if (ports.has(app)) return;
    ports.set(app, healthPortOf(await fleet.start(app, app)));
  };

  // SIGTERM, so each app runs its shutdown steps as under Kubernetes; Fleet.kill waits for the exit.
  const stopApps = async () => {
    await Promise.all(fleet.labels().filter((label) => fleet.running(label)).map((label) => fleet.kill(label, 'SIGTERM')));
  };
  const close = async () => {
    await stopApps();
    await producer.close();
    await queues.close();
    await deleteKeys(redis, prefix);
    await redis.quit();
    await receiver.close();
  };
  try {
    await start('batcher');
    if (!options.holdSender) await start('sender');
  } catch (err) {
    // A start that failed leaves nothing running: no orphaned process, no keys.
    await fleet.stopAll();
    await close();
    throw err;
  }
  const store = createWebhookStore({ redis, keys, secretBox: secretBoxFromEnv(undefined, 'test').box });
  return {
    prefix, redis, store, producer, receiver, queues, logs,
    async createWebhook(company, path, extra = {}) {
      const url = receiver.url(path);
      const { webhook, signingSecret } = await store.create(company, { name: path, url, headers: {}, enabled: true, ...extra });
      return { id: webhook.id, secret: signingSecret, url };
    },
    startSender: () => start('sender'),
    healthPort(app) {
      const port = ports.get(app);
      if (port === undefined) throw new Error(`the ${app} is not running (held back with holdSender?)`);
      return port;
    },
    close,
  };
}

/** Tests publish testkit's sample dial; re-exported so every test imports from one place. */
export { sampleDial } from '@outboundiq/testkit';

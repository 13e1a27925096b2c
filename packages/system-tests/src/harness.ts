import { Writable } from 'node:stream';
import { loadConfig as loadBatcherConfig, startBatcherApp, type BatcherApp } from '@outboundiq/batcher';
import { createKeys, createLogger, createRedisClient, secretBoxFromEnv, type Logger, type RedisClient, type Resolver, type WebhookCreate } from '@outboundiq/core';
import { loadConfig as loadSenderConfig, startSenderApp, type SenderApp } from '@outboundiq/sender';
import { ONE_REDIS, connectBackend, ensureTestCa, deleteKeys, startHttpsReceiver, uniquePrefix, REPO_ROOT, type Receiver, type TestBackend } from '@outboundiq/testkit';
import { createDialProducer, type DialProducer } from '@outboundiq/webhook-producer';
import { createWebhookStore, type WebhookStore } from '@outboundiq/webhook-store';
import { DeliveryQueues } from './queues.js';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Log lines of the in-process apps, parsed, so tests can assert what operators would read. */
export function captureLogger(name: string): { logger: Logger; lines: Record<string, unknown>[]; raw: string[] } {
  const lines: Record<string, unknown>[] = [];
  const raw: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
        raw.push(line);
        lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });
  return { logger: createLogger({ name, level: 'debug' }, sink), lines, raw };
}

export interface Pipeline {
  prefix: string;
  redis: RedisClient;
  store: WebhookStore;
  producer: DialProducer;
  receiver: Receiver;
  /** Every shard's delivery queue. */
  queues: DeliveryQueues;
  logs: ReturnType<typeof captureLogger>;
  createWebhook(company: string, path: string, extra?: Partial<WebhookCreate>): Promise<{ id: string; secret: string; url: string }>;
  /** Starts the sender when it was held back with `{ holdSender: true }`. */
  startSender(): Promise<void>;
  /** The port of an in-process app's health server (/healthz, /readyz, /metrics). */
  healthPort(app: 'batcher' | 'sender'): number;
  close(): Promise<void>;
}

export interface PipelineOptions {
  holdSender?: boolean;
  resolve?: Resolver;
  /** One Redis (default) or the local Redis Cluster, with its S. */
  backend?: TestBackend;
}

/**
 * Batcher and sender in this process (the same start functions main.ts runs), a real Redis (or
 * Redis Cluster), a real HTTPS receiver on loopback trusted through the test CA, and the producer
 * library.
 */
export async function startPipeline(name: string, env: Record<string, string> = {}, options: PipelineOptions = {}): Promise<Pipeline> {
  const prefix = uniquePrefix(name);
  const backend = await connectBackend(options.backend ?? ONE_REDIS, REDIS_URL);
  const ca = ensureTestCa(`${REPO_ROOT}.test-ca`);
  const receiver = await startHttpsReceiver(ca);
  const common: Record<string, string> = { ...backend.env, KEY_PREFIX: prefix, ALLOW_PRIVATE_DESTINATIONS: 'true', PORT: '0', LOG_LEVEL: 'debug', ...env };
  const logs = captureLogger(name);
  const batcher: BatcherApp = await startBatcherApp(loadBatcherConfig(common), logs.logger);
  let sender: SenderApp | undefined;
  const startSender = async () => {
    sender ??= await startSenderApp(loadSenderConfig(common), logs.logger, options.resolve ? { resolve: options.resolve } : {});
  };
  if (!options.holdSender) await startSender();
  const keys = createKeys(prefix, Number(common.SHARDS));
  const redis = createRedisClient({ ...backend.target, role: 'worker', name: `test-${name}` });
  const store = createWebhookStore({ redis, keys, secretBox: secretBoxFromEnv(undefined, 'test').box });
  const producer = createDialProducer({ ...backend.producer, keyPrefix: prefix });
  const queues = new DeliveryQueues(redis, keys);
  return {
    prefix, redis, store, producer, receiver, queues, logs,
    async createWebhook(company, path, extra = {}) {
      const url = receiver.url(path);
      const { webhook, signingSecret } = await store.create(company, { name: path, url, headers: {}, enabled: true, ...extra });
      return { id: webhook.id, secret: signingSecret, url };
    },
    startSender,
    healthPort: (app) => (app === 'batcher' ? batcher.healthPort : sender!.healthPort),
    async close() {
      await Promise.all([batcher.stop(), sender?.stop()]);
      await producer.close();
      await queues.close();
      await deleteKeys(redis, prefix);
      await redis.quit();
      await receiver.close();
    },
  };
}

/** Tests publish testkit's sample dial; re-exported so every test imports from one place. */
export { sampleDial } from '@outboundiq/testkit';

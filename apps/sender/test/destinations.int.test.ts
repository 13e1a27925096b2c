import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from '@jest/globals';
import {
  JOB_NAMES, QUEUE_NAMES, createKeys, createLogger, createRedisClient, deliveryJobSchema, secretBoxFromEnv,
  type DeliveryJob, type RedisClient, type Resolver,
} from '@outboundiq/core';
import { REPO_ROOT, deleteKeys, ensureTestCa, sampleDial, startHttpsReceiver, uniquePrefix, waitFor, type Receiver } from '@outboundiq/testkit';
import { createWebhookStore, type WebhookStore } from '@outboundiq/webhook-store';
import { Queue } from 'bullmq';
import { loadConfig, startSenderApp, type SenderApp } from '../src/app.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

interface Setup {
  sender: SenderApp;
  redis: RedisClient;
  store: WebhookStore;
  queue: Queue<DeliveryJob>;
  receiver: Receiver;
  prefix: string;
  /** Queues a delivery job of one dial for the webhook, as the batcher would. */
  enqueue(company: string, webhookId: string): Promise<void>;
}

/**
 * The sender in this process, because these cases inject a fake DNS resolver (`options.resolve`),
 * which a child process cannot take: the whole-pipeline cases of the same policy run on the built
 * apps in packages/system-tests/test/destinations.int.test.ts. One shard, a real Redis, a real
 * HTTPS receiver on loopback that must receive nothing.
 */
async function startSender(name: string, env: Record<string, string>, resolve: Resolver): Promise<Setup> {
  const prefix = uniquePrefix(name);
  const config = loadConfig({ REDIS_URL, KEY_PREFIX: prefix, SHARDS: '1', PORT: '0', LOG_LEVEL: 'warn', ...env });
  const quiet = new Writable({ write: (_chunk, _enc, done) => done() });
  const sender = await startSenderApp(config, createLogger({ name, level: 'warn' }, quiet), { resolve });
  const keys = createKeys(prefix, 1);
  const redis = createRedisClient({ url: REDIS_URL, role: 'worker', name: `test-${name}` });
  const queue = new Queue<DeliveryJob>(QUEUE_NAMES.deliveries, { connection: redis, prefix: keys.allShards()[0]!.bullPrefix() });
  const receiver = await startHttpsReceiver(ensureTestCa(`${REPO_ROOT}.test-ca`));
  return {
    sender, redis, queue, receiver, prefix,
    store: createWebhookStore({ redis, keys, secretBox: secretBoxFromEnv(undefined, 'test').box }),
    async enqueue(company, webhookId) {
      const deliveryId = randomUUID();
      const job = deliveryJobSchema.parse({
        v: 1, companySlug: company, webhookId, deliveryId, dials: JSON.stringify([sampleDial(company)]), dialCount: 1, firstPublishedAt: Date.now(),
      });
      // The batcher's attempts: a refusal must end the job by itself, not by using them up.
      await queue.add(JOB_NAMES.deliver, job, { jobId: deliveryId, attempts: 5, backoff: { type: 'exponential', delay: 1_000 } });
    },
  };
}

async function stop(s: Setup): Promise<void> {
  await s.sender.stop();
  await s.queue.close();
  await deleteKeys(s.redis, s.prefix);
  await s.redis.quit();
  await s.receiver.close();
}

/** The failed job of the one delivery the webhook got, once BullMQ has recorded it. */
async function failedReasonOf(s: Setup, webhookId: string): Promise<string> {
  let reason: string | undefined;
  await waitFor(async () => {
    const failed = await s.queue.getFailed();
    reason = failed.find((j) => j.data.webhookId === webhookId)?.failedReason;
    return reason !== undefined;
  }, 10_000, 'the failed delivery');
  return reason!;
}

describe('send-time destination policy (ALLOW_PRIVATE_DESTINATIONS=false), with a fake resolver', () => {
  let s: Setup | undefined;
  afterEach(async () => {
    if (s) await stop(s);
    s = undefined;
  });

  it('a name that resolves to a private address is refused before any connection', async () => {
    const resolve: Resolver = async () => [{ address: '127.0.0.1' }];
    s = await startSender('ssrf-name', { ALLOW_PRIVATE_DESTINATIONS: 'false' }, resolve);
    const { webhook } = await s.store.create('named', { name: '/named', url: s.receiver.url('/named'), headers: {}, enabled: true });
    await s.store.update('named', webhook.id, { url: `https://localhost.example.com:${s.receiver.port}/named` });
    await s.enqueue('named', webhook.id);
    expect(await failedReasonOf(s, webhook.id)).toMatch(/localhost\.example\.com resolved to 127\.0\.0\.1/);
    expect(s.receiver.requests).toHaveLength(0);
  });

  it('DNS rebinding (public first, then 127.0.0.1) never reaches the loopback receiver', async () => {
    const answers: string[] = [];
    const resolve: Resolver = async () => {
      const address = answers.length === 0 ? '93.184.216.34' : '127.0.0.1';
      answers.push(address);
      return [{ address }];
    };
    s = await startSender('ssrf-rebind', { ALLOW_PRIVATE_DESTINATIONS: 'false', DELIVERY_TIMEOUT_MS: '1000' }, resolve);
    const { webhook } = await s.store.create('rebind', { name: '/rebind', url: s.receiver.url('/rebind'), headers: {}, enabled: true });
    await s.store.update('rebind', webhook.id, { url: `https://rebind.example.com:${s.receiver.port}/rebind` });
    await s.enqueue('rebind', webhook.id);
    const reason = await failedReasonOf(s, webhook.id);
    expect(reason).toMatch(/destination refused|delivery failed/);
    expect(answers[0]).toBe('93.184.216.34');
    expect(s.receiver.requests).toHaveLength(0);
  });
});

import { describe, expect, it } from '@jest/globals';
import { createLogger, type DeliveryJob } from '@outboundiq/core';
import type { DeliveryOutcome, WebhookStore } from '@outboundiq/webhook-store';
import type { Job } from 'bullmq';
import { createDeliveryRecorder, reasonOf } from './delivery-log.js';
import { createDeliveryProcessor } from './delivery.js';
import type { AttemptOutcome, DeliveryHttp } from './http.js';
import { createWebhookLimiter } from './limiter.js';

const job: DeliveryJob = {
  v: 1,
  companySlug: 'acme',
  webhookId: 'wh_1',
  deliveryId: '3f1c2a9e-8b7d-4c6e-9a5f-1e2d3c4b5a69',
  dials: '[{"id":"d1"}]',
  dialCount: 1,
  firstPublishedAt: 0,
};

async function deliver(answers: AttemptOutcome[], record: (o: DeliveryOutcome) => Promise<void>) {
  let posts = 0;
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({ name: 'sender-test', level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  const http: DeliveryHttp = { post: async () => answers[posts++]!, close() {} };
  const store = {
    loadForDelivery: async () => ({ webhook: { enabled: true, url: 'https://hook.example.com/in', headers: {} }, signingSecret: 'whsec_test' }),
  } as unknown as WebhookStore;
  const process = createDeliveryProcessor({
    store,
    http,
    limiter: createWebhookLimiter(8),
    logger,
    config: { retryDelayMs: 0, busyDelayMs: 1_000 },
    deliveryLog: createDeliveryRecorder({ log: { record }, logger, attemptTimeoutMs: 10_000, writeTimeoutMs: 100 }),
    sleep: async () => {},
  });
  const outcome = await process({ id: job.deliveryId, data: job, timestamp: 1_000 } as Job<DeliveryJob>).then((r) => r, (err: unknown) => err);
  return { posts, outcome, lines };
}

describe('the delivery log, as the sender writes it', () => {
  it('records each attempt with its status, duration and a short reason, and the outcome', async () => {
    const recorded: DeliveryOutcome[] = [];
    const { outcome } = await deliver([{ ok: false, status: 503, error: 'HTTP 503' }, { ok: true, status: 204 }], async (o) => void recorded.push(o));
    expect(outcome).toMatchObject({ outcome: 'delivered', attempts: 2 });
    expect(recorded).toHaveLength(1);
    expect(recorded[0]).toMatchObject({ status: 'delivered', createdAt: 1_000, job: { deliveryId: job.deliveryId } });
    expect(recorded[0]!.attempts).toEqual([
      { at: expect.stringMatching(/Z$/), statusCode: 503, durationMs: expect.any(Number), error: 'HTTP 503' },
      { at: expect.stringMatching(/Z$/), statusCode: 204, durationMs: expect.any(Number) },
    ]);
  });

  it('never fails or repeats a delivery it cannot record: the delivery stands, a log line says what is missing', async () => {
    const { posts, outcome, lines } = await deliver([{ ok: true, status: 200 }], async () => {
      throw new Error('OOM command not allowed when used memory > maxmemory');
    });
    expect(posts).toBe(1);
    expect(outcome).toMatchObject({ outcome: 'delivered' });
    const line = lines.find((l) => String(l.msg).startsWith('delivery log not recorded'));
    expect(line).toMatchObject({ level: 50, deliveryId: job.deliveryId, status: 'delivered', msg: expect.stringContaining('delivered outcome') });
  });

  it('gives up waiting on a write that does not answer', async () => {
    const { outcome, lines } = await deliver([{ ok: true, status: 200 }], () => new Promise(() => {}));
    expect(outcome).toMatchObject({ outcome: 'delivered' });
    expect(lines.some((l) => String(l.msg).startsWith('delivery log not recorded'))).toBe(true);
  });

  it('says why an attempt failed in a few words, never an answer body', () => {
    expect(reasonOf({ ok: false, error: "no complete response within the deadline (Timeout awaiting 'request' for 10000ms)", code: 'ETIMEDOUT' }, 10_000)).toBe('no complete response within 10 s');
    expect(reasonOf({ ok: false, error: 'certificate has expired', code: 'CERT_HAS_EXPIRED' }, 10_000)).toBe('certificate has expired');
    expect(reasonOf({ ok: false, error: 'x'.repeat(500) }, 10_000)).toHaveLength(200);
  });
});

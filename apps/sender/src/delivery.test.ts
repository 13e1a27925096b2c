import { describe, expect, it } from '@jest/globals';
import { DestinationBlockedError, createLogger, type DeliveryJob } from '@outboundiq/core';
import type { WebhookStore } from '@outboundiq/webhook-store';
import { UnrecoverableError, type Job } from 'bullmq';
import { createDeliveryProcessor, type DeliveryEvents } from './delivery.js';
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

/** One delivery through the processor, the HTTP answers given in order; what it POSTed and how it ended. */
async function deliver(answers: AttemptOutcome[]) {
  const posts: string[] = [];
  const finished: string[] = [];
  const http: DeliveryHttp = {
    async post(url) {
      posts.push(url);
      return answers[posts.length - 1]!;
    },
    close() {},
  };
  const store = {
    loadForDelivery: async () => ({ webhook: { enabled: true, url: 'https://hook.example.com/in', headers: {} }, signingSecret: 'whsec_test' }),
  } as unknown as WebhookStore;
  const events: DeliveryEvents = { finished: ({ result }) => void finished.push(result.outcome) };
  const process = createDeliveryProcessor({
    store,
    http,
    limiter: createWebhookLimiter(8),
    logger: createLogger({ name: 'sender-test', level: 'silent' }),
    config: { retryDelayMs: 0, busyDelayMs: 1_000 },
    events,
    sleep: async () => {},
  });
  const outcome = await process({ id: job.deliveryId, data: job } as Job<DeliveryJob>).then((r) => r, (err: unknown) => err);
  return { posts: posts.length, finished, outcome };
}

describe('what the sender retries is what the error says (OiqError.retryable)', () => {
  const blocked = new DestinationBlockedError('hook.example.com', { allowed: false, address: '10.0.0.1', range: '10.0.0.0/8', reason: 'a private address' });

  it('a refusal of the destination policy, wrapped as got wraps it, ends the job at once, unrecoverable', async () => {
    const gotLike = Object.assign(new Error(blocked.message, { cause: blocked }), { code: blocked.code });
    const { posts, finished, outcome } = await deliver([{ ok: false, error: blocked.message, code: blocked.code, cause: gotLike }]);
    expect(posts).toBe(1);
    expect(finished).toEqual(['refused']);
    expect(outcome).toBeInstanceOf(UnrecoverableError);
    expect((outcome as Error).message).toMatch(/^destination refused: destination blocked: host hook\.example\.com/);
  });

  it('a failure that says nothing about retrying (a reset connection, an HTTP 503) gets its one retry', async () => {
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    const { posts, finished } = await deliver([{ ok: false, error: 'socket hang up', code: 'ECONNRESET', cause: reset }, { ok: true, status: 200 }]);
    expect([posts, finished]).toEqual([2, ['delivered']]);
    const twice = await deliver([{ ok: false, status: 503, error: 'HTTP 503' }, { ok: false, status: 503, error: 'HTTP 503' }]);
    expect([twice.posts, twice.finished, (twice.outcome as Error).message]).toEqual([2, ['failed'], 'delivery failed after 2 attempts: HTTP 503']);
  });
});

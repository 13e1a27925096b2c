import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { createDialProducer, type DialProducer } from '@outboundiq/webhook-producer';
import { AUTH, REDIS_URL, createHarness, validWebhook, type Harness } from './harness.js';

let h: Harness;
let producer: DialProducer;
beforeAll(() => {
  h = createHarness('producer');
  producer = createDialProducer({ redisUrl: REDIS_URL, keyPrefix: h.prefix });
});
afterAll(async () => {
  await producer.close();
  await h.close();
});

const COMPANY = 'acme-pipeline';
const dial = {
  companySlug: COMPANY,
  callId: 'AB12345',
  callDirection: 'outbound',
  timestamp: '2026-04-10T18:32:15.000Z',
  ani: '5551234567',
  phone: '5559876543',
  campaign: null,
  campaignInternalId: null,
  agent: null,
  disposition: 'Sale',
  dispositionId: '42',
  contact: true,
  success: true,
  isSystemDispo: false,
  totalDialAttempts: 3,
};

const patch = (id: string, enabled: boolean) =>
  h.app.inject({ method: 'PATCH', url: `/v1/companies/${COMPANY}/webhooks/${id}`, headers: AUTH, payload: { enabled } });

it('drops a company out of the pipeline when its webhooks are all disabled, and back in when one is enabled', async () => {
  expect(await producer.publish(dial)).toEqual({ enqueued: false, reason: 'no-enabled-webhook' });
  const ids: string[] = [];
  for (const name of ['a', 'b']) {
    const res = await h.app.inject({ method: 'POST', url: `/v1/companies/${COMPANY}/webhooks`, headers: AUTH, payload: validWebhook({ name }) });
    ids.push(res.json().id);
  }
  expect(await producer.publish(dial)).toEqual({ enqueued: true });

  expect((await patch(ids[0]!, false)).statusCode).toBe(200);
  expect(await producer.publish(dial)).toEqual({ enqueued: true });
  expect((await patch(ids[1]!, false)).statusCode).toBe(200);
  expect(await producer.publish(dial)).toEqual({ enqueued: false, reason: 'no-enabled-webhook' });

  expect((await patch(ids[1]!, true)).statusCode).toBe(200);
  expect(await producer.publish(dial)).toEqual({ enqueued: true });

  // Deleting the last enabled one drops the company again.
  expect((await h.app.inject({ method: 'DELETE', url: `/v1/companies/${COMPANY}/webhooks/${ids[1]}`, headers: AUTH })).statusCode).toBe(204);
  expect(await producer.publish(dial)).toEqual({ enqueued: false, reason: 'no-enabled-webhook' });
});

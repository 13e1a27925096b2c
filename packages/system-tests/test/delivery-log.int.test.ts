import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { HEADER_NAMES, createKeys } from '@outboundiq/core';
import { TEST_BACKENDS, connectBackend, verifyWithDocNode, verifyWithDocPython, waitFor } from '@outboundiq/testkit';
import { startAdmin, type AdminUnderTest } from '../src/browser.js';
import { sampleDial, startPipeline, type Pipeline } from '../src/harness.js';

// The delivery log end to end, on the built apps as processes: a dead endpoint's delivery is logged
// failed, the endpoint is fixed, the customer resends through the admin API, and the same delivery
// arrives, signed with the current secret, its third attempt appended to the same record. On a
// cluster (S = 4) the resend must reach the queue of the company's own shard.
// Not in shard 0 when S = 4: the resend must go to the queue of the company's shard (where its
// batches go, so they fail over together), not merely to the first.
const COMPANY = 'acme-resend';

describe.each(TEST_BACKENDS)('the delivery log on $label', (backend) => {
  let p: Pipeline;
  let admin: AdminUnderTest;
  beforeAll(async () => {
    p = await startPipeline('delivery-log', {}, { backend });
    admin = await startAdmin('delivery-log', p.prefix, false, (await connectBackend(backend)).env);
  }, 30_000);
  afterAll(async () => {
    await admin?.close();
    await p?.close();
  });

  it('routes the company to a shard other than the first when there are several', () => {
    expect(createKeys('x', backend.shards).shardOf(COMPANY)).toBe(backend.shards > 1 ? 1 : 0);
  });

  it('a 503 endpoint: failed with two attempts; fixed and resent: the same deliveryId arrives, and the record reads delivered', async () => {
    const hook = await p.createWebhook(COMPANY, '/dead');
    p.receiver.respond('/dead', () => ({ status: 503 }));
    await p.producer.publish(sampleDial(COMPANY, 1));
    const failedRequests = await p.receiver.waitForRequests('/dead', 2, 15_000);
    const deliveryId = JSON.parse(failedRequests[0]!.body.toString()).deliveryId as string;

    const base = `/${COMPANY}/webhooks/${hook.id}`;
    let failed: any;
    await waitFor(async () => {
      failed = (await admin.api('GET', `${base}/deliveries?status=failed`)).json.deliveries[0];
      return failed !== undefined;
    }, 10_000, 'the failed delivery in the log');
    expect(failed).toMatchObject({ deliveryId, webhookId: hook.id, status: 'failed', dialCount: 1, resendable: true });
    expect(failed.attempts).toEqual([0, 1].map(() => ({ at: expect.any(String), statusCode: 503, durationMs: expect.any(Number), error: 'HTTP 503' })));
    expect((await admin.api('GET', `${base}/stats`)).json.last24h).toMatchObject({ delivered: 0, failed: 1 });

    // Fixed, and the secret rotated meanwhile: the resend is signed with the current one.
    p.receiver.respond('/dead', () => ({ status: 200 }));
    const { json: rotated } = await admin.api('POST', `${base}/rotate-secret`);
    const resend = await admin.api('POST', `${base}/deliveries/${deliveryId}/resend`);
    expect(resend).toEqual({ status: 202, json: { deliveryId } });
    const [, , arrived] = await p.receiver.waitForRequests('/dead', 3, 15_000);
    const body = JSON.parse(arrived!.body.toString());
    expect(body.deliveryId).toBe(deliveryId);
    expect(arrived!.headers[HEADER_NAMES.deliveryId.toLowerCase()]).toBe(deliveryId);
    expect(body.dials).toEqual(JSON.parse(failedRequests[0]!.body.toString()).dials);
    const signed = { body: arrived!.body, header: arrived!.headers['x-outboundiq-signature'] as string, secret: rotated.signingSecret as string };
    const withOldSecret = { ...signed, secret: hook.secret };
    expect(await verifyWithDocNode([signed, withOldSecret])).toEqual([true, false]);
    expect(verifyWithDocPython([signed, withOldSecret])).toEqual([true, false]);

    let delivered: any;
    await waitFor(async () => {
      delivered = (await admin.api('GET', `${base}/deliveries/${deliveryId}`)).json;
      return delivered.status === 'delivered';
    }, 10_000, 'the record to read delivered');
    expect(delivered.attempts).toHaveLength(3);
    expect(delivered.attempts[2]).toEqual({ at: expect.any(String), statusCode: 200, durationMs: expect.any(Number) });
    expect(delivered).toMatchObject({ resendable: false, resentAt: expect.any(String), createdAt: failed.createdAt });
    // Counted as it happened: once failed, once delivered.
    expect((await admin.api('GET', `${base}/stats`)).json.last24h).toMatchObject({ delivered: 1, failed: 1, dials: 1 });
    // The resend was a job of the company's shard's queue, and of no other.
    const resends = await Promise.all(p.queues.all.map(async (q) => (await q.getJobs(['completed'])).filter((j) => j.id?.startsWith(`resend-${deliveryId}-`)).length));
    expect(resends).toEqual(p.queues.all.map((q) => (q === p.queues.of(COMPANY) ? 1 : 0)));
    // Nothing else was sent: no automatic resend.
    expect(p.receiver.requestsTo('/dead')).toHaveLength(3);
    expect(await admin.api('POST', `${base}/deliveries/${deliveryId}/resend`)).toMatchObject({ status: 409, json: { error: { code: 'not_failed' } } });
  });
});

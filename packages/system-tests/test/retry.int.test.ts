import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DELIVERY_DEFAULTS } from '@outboundiq/core';
import { verifyWithDocNode, waitFor } from '@outboundiq/testkit';
import { sampleDial, startPipeline, type Pipeline } from '../src/harness.js';

const deliveryIdOf = (body: Buffer) => (JSON.parse(body.toString()) as { deliveryId: string }).deliveryId;
/** The pipeline runs the defaults: RETRY_DELAY_MS 500, DELIVERY_TIMEOUT_MS 10000. */
const RETRY_DELAY_MS = DELIVERY_DEFAULTS.retryDelayMs;
const DEADLINE_MS = DELIVERY_DEFAULTS.attemptTimeoutMs;
/** Node's timers and Date.now() count whole milliseconds, each on its own clock. */
const CLOCK_SLACK_MS = 5;

// Outcomes and order only: a retry is a second request with the same deliveryId that comes after
// the first and at least RETRY_DELAY_MS later; "nothing more" is read once the job has finished,
// never after a sleep. How long things take is printed, not asserted.
describe('one retry, RETRY_DELAY_MS later, then give up', () => {
  let p: Pipeline;
  beforeAll(async () => {
    p = await startPipeline('retry');
  });
  afterAll(() => p.close());

  /** The job of a delivery once BullMQ has finished it (completed, or failed for good). */
  const finishedJob = async (deliveryId: string) => {
    await waitFor(async () => (await p.queues.getJob(deliveryId))?.finishedOn !== undefined, 60_000, `delivery ${deliveryId} to finish`);
    return (await p.queues.getJob(deliveryId))!;
  };

  it('500 then 200: exactly two attempts, the second at least RETRY_DELAY_MS after the first, one deliveryId, both signatures valid', async () => {
    const hook = await p.createWebhook('flaky', '/flaky');
    p.receiver.respond('/flaky', (_req, nth) => ({ status: nth === 0 ? 500 : 200 }));
    await p.producer.publish(sampleDial('flaky'));
    const [first] = await p.receiver.waitForRequests('/flaky', 1);
    const job = await finishedJob(deliveryIdOf(first!.body));
    expect(await job.getState()).toBe('completed');
    // Every request of the job came in before it finished: these are all of them.
    const requests = p.receiver.requestsTo('/flaky');
    expect(requests).toHaveLength(2);
    const second = requests[1]!;
    const gap = second.receivedAt - first!.receivedAt;
    process.stdout.write(`[retry] 500 then 200: retry ${gap} ms after the first attempt (RETRY_DELAY_MS ${RETRY_DELAY_MS})\n`);
    expect(gap).toBeGreaterThanOrEqual(RETRY_DELAY_MS - CLOCK_SLACK_MS);
    expect(deliveryIdOf(second.body)).toBe(deliveryIdOf(first!.body));
    expect(second.headers['x-outboundiq-delivery-id']).toBe(first!.headers['x-outboundiq-delivery-id']);
    const checks = [first!, second].map((r) => ({ body: r.body, header: r.headers['x-outboundiq-signature'] as string, secret: hook.secret }));
    expect(await verifyWithDocNode(checks)).toEqual([true, true]);
  });

  it('500 twice: exactly two attempts, then nothing more, and the failure is recorded for operators', async () => {
    const hook = await p.createWebhook('broken', '/broken');
    p.receiver.respond('/broken', () => ({ status: 500 }));
    await p.producer.publishMany([sampleDial('broken', 1), sampleDial('broken', 2)]);
    const [first] = await p.receiver.waitForRequests('/broken', 1);
    const deliveryId = deliveryIdOf(first!.body);
    const job = await finishedJob(deliveryId);
    expect(await job.getState()).toBe('failed');
    expect(job.failedReason).toContain('HTTP 500');
    const requests = p.receiver.requestsTo('/broken');
    expect(requests).toHaveLength(2);
    expect(requests[1]!.receivedAt - first!.receivedAt).toBeGreaterThanOrEqual(RETRY_DELAY_MS - CLOCK_SLACK_MS);

    const line = p.logs.lines.find((l) => l.level === 50 && l.deliveryId === deliveryId);
    expect(line).toMatchObject({ deliveryId, webhookId: hook.id, companySlug: 'broken', dials: 2, status: 500 });
  });

  it('a 302 is a failure and its Location is never requested', async () => {
    await p.createWebhook('moved', '/moved');
    p.receiver.respond('/moved', () => ({ status: 302, headers: { location: p.receiver.url('/elsewhere') } }));
    await p.producer.publish(sampleDial('moved'));
    const [first] = await p.receiver.waitForRequests('/moved', 1);
    const job = await finishedJob(deliveryIdOf(first!.body));
    expect(await job.getState()).toBe('failed');
    expect(job.failedReason).toContain('HTTP 302');
    expect(p.receiver.requestsTo('/moved')).toHaveLength(2);
    expect(p.receiver.requestsTo('/elsewhere')).toHaveLength(0);
  });

  it('one failing webhook does not delay the other webhooks of the same company', async () => {
    await p.createWebhook('mixed', '/mixed-dead');
    await p.createWebhook('mixed', '/mixed-ok');
    p.receiver.respond('/mixed-dead', () => ({ hang: true }));
    const started = Date.now();
    await p.producer.publish(sampleDial('mixed'));
    const [ok] = await p.receiver.waitForRequests('/mixed-ok', 1, 60_000);
    process.stdout.write(`[retry] the healthy webhook got its dial ${ok!.receivedAt - started} ms after publish\n`);
    // Order, not time: the healthy webhook got its delivery while the dead one was still on its
    // first attempt (cut only at the 10 s deadline, then retried), not after that one gave up.
    const dead = p.receiver.requestsTo('/mixed-dead');
    expect(dead.length).toBeLessThanOrEqual(1);
    if (dead.length === 1) expect((await p.queues.getJob(deliveryIdOf(dead[0]!.body)))?.finishedOn).toBeUndefined();
  });

  it('a receiver that never answers is cut at the 10 s deadline and retried once', async () => {
    await p.createWebhook('silent', '/silent');
    p.receiver.respond('/silent', () => ({ hang: true }));
    await p.producer.publish(sampleDial('silent'));
    const [first] = await p.receiver.waitForRequests('/silent', 1);
    const deliveryId = deliveryIdOf(first!.body);
    // A deadline that did not hold would leave the job hanging: it would never finish.
    const job = await finishedJob(deliveryId);
    expect(await job.getState()).toBe('failed');
    // Both attempts were cut by the attempt deadline, and it is the configured one.
    const deadline = new RegExp(`within the deadline \\(Timeout awaiting 'request' for ${DEADLINE_MS}ms\\)`);
    expect(job.failedReason).toMatch(deadline);
    const attempts = p.logs.lines.filter((l) => l.deliveryId === deliveryId && l.level === 40);
    expect(attempts.map((l) => [l.msg, deadline.test(String(l.error))])).toEqual([
      ['delivery attempt failed; retrying once', true],
      ['delivery retry failed', true],
    ]);
    const requests = p.receiver.requestsTo('/silent');
    expect(requests).toHaveLength(2);
    const gap = requests[1]!.receivedAt - first!.receivedAt;
    process.stdout.write(`[retry] silent receiver: retry ${gap} ms after the first attempt, failed ${job.finishedOn! - first!.receivedAt} ms after it\n`);
    expect(gap).toBeGreaterThanOrEqual(RETRY_DELAY_MS - CLOCK_SLACK_MS);
  }, 90_000);
});

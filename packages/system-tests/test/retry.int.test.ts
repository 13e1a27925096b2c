import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sleep, verifyWithDocNode, waitFor } from '@outboundiq/testkit';
import { sampleDial, startPipeline, type Pipeline } from '../src/harness.js';

const deliveryIdOf = (body: Buffer) => (JSON.parse(body.toString()) as { deliveryId: string }).deliveryId;

describe('one retry, about 500 ms later, then give up', () => {
  let p: Pipeline;
  beforeAll(async () => {
    p = await startPipeline('retry');
  });
  afterAll(() => p.close());

  it('500 then 200: exactly two attempts about 500 ms apart, one deliveryId, both signatures valid', async () => {
    const hook = await p.createWebhook('flaky', '/flaky');
    p.receiver.respond('/flaky', (_req, nth) => ({ status: nth === 0 ? 500 : 200 }));
    await p.producer.publish(sampleDial('flaky'));
    const [first, second] = await p.receiver.waitForRequests('/flaky', 2);
    await sleep(1_500);
    expect(p.receiver.requestsTo('/flaky')).toHaveLength(2);
    const gap = second!.receivedAt - first!.receivedAt;
    expect(gap).toBeGreaterThanOrEqual(450);
    expect(gap).toBeLessThan(1_500);
    expect(deliveryIdOf(second!.body)).toBe(deliveryIdOf(first!.body));
    expect(second!.headers['x-outboundiq-delivery-id']).toBe(first!.headers['x-outboundiq-delivery-id']);
    const checks = [first!, second!].map((r) => ({ body: r.body, header: r.headers['x-outboundiq-signature'] as string, secret: hook.secret }));
    expect(await verifyWithDocNode(checks)).toEqual([true, true]);
  });

  it('500 twice: exactly two attempts, then nothing more, and the failure is recorded for operators', async () => {
    const hook = await p.createWebhook('broken', '/broken');
    p.receiver.respond('/broken', () => ({ status: 500 }));
    await p.producer.publishMany([sampleDial('broken', 1), sampleDial('broken', 2)]);
    const [first] = await p.receiver.waitForRequests('/broken', 2);
    await sleep(2_000);
    expect(p.receiver.requestsTo('/broken')).toHaveLength(2);

    const deliveryId = deliveryIdOf(first!.body);
    const line = p.logs.lines.find((l) => l.level === 50 && l.deliveryId === deliveryId);
    expect(line).toMatchObject({ deliveryId, webhookId: hook.id, companySlug: 'broken', dials: 2, status: 500 });
    await waitFor(async () => (await p.queues.getJob(deliveryId))?.failedReason !== undefined, 5_000, 'the failed job');
    const job = await p.queues.getJob(deliveryId);
    expect(await job!.getState()).toBe('failed');
    expect(job!.failedReason).toContain('HTTP 500');
  });

  it('a 302 is a failure and its Location is never requested', async () => {
    await p.createWebhook('moved', '/moved');
    p.receiver.respond('/moved', () => ({ status: 302, headers: { location: p.receiver.url('/elsewhere') } }));
    await p.producer.publish(sampleDial('moved'));
    await p.receiver.waitForRequests('/moved', 2);
    await sleep(1_000);
    expect(p.receiver.requestsTo('/moved')).toHaveLength(2);
    expect(p.receiver.requestsTo('/elsewhere')).toHaveLength(0);
  });

  it('one failing webhook does not delay the other webhooks of the same company', async () => {
    await p.createWebhook('mixed', '/mixed-dead');
    await p.createWebhook('mixed', '/mixed-ok');
    p.receiver.respond('/mixed-dead', () => ({ hang: true }));
    const started = Date.now();
    await p.producer.publish(sampleDial('mixed'));
    await p.receiver.waitForRequests('/mixed-ok', 1, 2_000);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('a receiver that never answers is cut at 10 s and retried once', async () => {
    await p.createWebhook('silent', '/silent');
    p.receiver.respond('/silent', () => ({ hang: true }));
    await p.producer.publish(sampleDial('silent'));
    const [first, second] = await p.receiver.waitForRequests('/silent', 2, 15_000);
    const gap = second!.receivedAt - first!.receivedAt;
    expect(gap).toBeGreaterThanOrEqual(10_000 + 450);
    expect(gap).toBeLessThan(12_000);
    const deliveryId = deliveryIdOf(first!.body);
    await waitFor(async () => (await p.queues.getJob(deliveryId))?.failedReason !== undefined, 13_000, 'the timed-out job to fail');
    expect((await p.queues.getJob(deliveryId))!.failedReason).toMatch(/deadline|timeout/i);
    expect(p.receiver.requestsTo('/silent')).toHaveLength(2);
  }, 40_000);
});

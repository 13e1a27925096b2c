import { afterEach, describe, expect, it } from '@jest/globals';
import { sleep, verifyWithDocNode, waitFor } from '@outboundiq/testkit';
import { sampleDial, startPipeline, type Pipeline } from '../src/harness.js';

describe('disable, delete and rotate take effect at once', () => {
  let p: Pipeline | undefined;
  afterEach(async () => {
    await p?.close();
    p = undefined;
  });

  it('a disabled or deleted webhook gets nothing, including batches queued before the change', async () => {
    p = await startPipeline('lifecycle-queued', {}, { holdSender: true });
    const off = await p.createWebhook('queued', '/off');
    const gone = await p.createWebhook('queued', '/gone');
    await p.createWebhook('queued', '/on');
    await p.producer.publishMany(Array.from({ length: 30 }, (_, n) => sampleDial('queued', n)));
    await waitFor(async () => (await p!.queues.getWaitingCount()) >= 3, 5_000, 'three queued jobs');

    await p.store.update('queued', off.id, { enabled: false });
    await p.store.delete('queued', gone.id);
    await p.startSender();
    await p.receiver.waitForRequests('/on', 1);
    await sleep(1_000);
    expect(p.receiver.requestsTo('/off')).toHaveLength(0);
    expect(p.receiver.requestsTo('/gone')).toHaveLength(0);
    expect(p.logs.lines.filter((l) => l.msg === 'delivery skipped').map((l) => l.reason).sort()).toEqual(['webhook-deleted', 'webhook-disabled']);

    // Enabled again: new dials flow to it again.
    await p.store.update('queued', off.id, { enabled: true });
    await p.producer.publish(sampleDial('queued', 99));
    await p.receiver.waitForRequests('/off', 1);
  });

  it('after a rotation the next delivery verifies with the new secret only', async () => {
    p = await startPipeline('lifecycle-rotate');
    const hook = await p.createWebhook('rotating', '/rot');
    await p.producer.publish(sampleDial('rotating', 1));
    await p.receiver.waitForRequests('/rot', 1);
    const newSecret = await p.store.rotateSecret('rotating', hook.id);
    expect(newSecret).not.toBe(hook.secret);
    await p.producer.publish(sampleDial('rotating', 2));
    const [, second] = await p.receiver.waitForRequests('/rot', 2);
    const header = second!.headers['x-outboundiq-signature'] as string;
    expect(await verifyWithDocNode([
      { body: second!.body, header, secret: newSecret! },
      { body: second!.body, header, secret: hook.secret },
    ])).toEqual([true, false]);
  });

  it('a company whose webhooks are all disabled is skipped by the producer, and comes back when one is enabled', async () => {
    p = await startPipeline('lifecycle-skip');
    const a = await p.createWebhook('quiet', '/q1');
    const b = await p.createWebhook('quiet', '/q2');
    await p.store.update('quiet', a.id, { enabled: false });
    await p.store.update('quiet', b.id, { enabled: false });
    await expect(p.producer.publish(sampleDial('quiet'))).resolves.toEqual({ enqueued: false, reason: 'no-enabled-webhook' });
    await expect(p.producer.publishMany([sampleDial('quiet', 1), sampleDial('quiet', 2)])).resolves.toEqual({ enqueued: 0, skipped: 2 });
    await expect(p.producer.publish(sampleDial('nobody'))).resolves.toEqual({ enqueued: false, reason: 'no-enabled-webhook' });
    expect(await p.redis.exists(`${p.prefix}:{quiet}:dials`)).toBe(0);

    await p.store.update('quiet', b.id, { enabled: true });
    await expect(p.producer.publish(sampleDial('quiet', 3))).resolves.toEqual({ enqueued: true });
    const [request] = await p.receiver.waitForRequests('/q2', 1);
    expect(JSON.parse(request!.body.toString()).dials.map((d: { callId: string }) => d.callId)).toEqual(['C3']);
    expect(p.receiver.requestsTo('/q1')).toHaveLength(0);
  });
});

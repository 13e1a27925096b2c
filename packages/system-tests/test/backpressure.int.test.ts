import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sleep, waitFor } from '@outboundiq/testkit';
import { sampleDial, startPipeline, type Pipeline } from '../src/harness.js';

describe('backpressure from the delivery queue', () => {
  let p: Pipeline;
  beforeAll(async () => {
    // No sender yet: delivery jobs pile up, as they do when the senders are behind.
    p = await startPipeline('backpressure', { BATCHER_BACKPRESSURE_JOBS: '5', BATCHER_BACKPRESSURE_WAIT_MS: '1500' }, { holdSender: true });
  });
  afterAll(() => p.close());

  it('while senders are behind, a company waits longer so its dials leave in few full batches', async () => {
    for (let c = 0; c < 8; c++) {
      await p.createWebhook(`busy-${c}`, `/busy-${c}`);
      await p.producer.publish(sampleDial(`busy-${c}`));
    }
    await waitFor(async () => (await p.queues.getWaitingCount()) >= 8, 5_000, 'a backlog of delivery jobs');
    await sleep(600); // the batcher samples the queue depth every 250 ms

    await p.createWebhook('trickle', '/trickle');
    for (let n = 0; n < 20; n++) {
      await p.producer.publish(sampleDial('trickle', n));
      await sleep(25);
    }
    await p.startSender();
    await waitFor(() => p.receiver.requestsTo('/trickle').reduce((sum, r) => sum + JSON.parse(r.body.toString()).dials.length, 0) >= 20, 10_000, '20 dials at /trickle');
    // Without backpressure (10 ms max wait) 20 dials 25 ms apart leave in ~20 batches.
    expect(p.receiver.requestsTo('/trickle').length).toBeLessThanOrEqual(2);
    expect(p.logs.lines.some((l) => l.msg === 'senders are behind: batching longer')).toBe(true);
  });
});

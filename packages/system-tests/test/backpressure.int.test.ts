import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sleep, waitFor } from '@outboundiq/testkit';
import { sampleDial, startPipeline, type Pipeline } from '../src/harness.js';

const BEHIND = 'senders are behind: batching longer';
const CAUGHT_UP = 'senders caught up: batching as usual';

describe('backpressure from the delivery queue', () => {
  let p: Pipeline;
  beforeAll(async () => {
    // No sender yet: delivery jobs pile up, as they do when the senders are behind. While they are,
    // a company waits up to 60 s for batch-mates: far longer than publishing 20 dials takes on any
    // machine, so what leaves when is decided by the senders catching up, not by a clock.
    p = await startPipeline('backpressure', { BATCHER_BACKPRESSURE_JOBS: '5', BATCHER_BACKPRESSURE_WAIT_MS: '60000' }, { holdSender: true });
  });
  afterAll(() => p.close());

  it('while senders are behind, a company waits for batch-mates; once they catch up its dials leave in one full batch', async () => {
    for (let c = 0; c < 8; c++) {
      await p.createWebhook(`busy-${c}`, `/busy-${c}`);
      await p.producer.publish(sampleDial(`busy-${c}`));
    }
    await waitFor(async () => (await p.queues.getWaitingCount()) >= 8, 30_000, 'a backlog of delivery jobs');
    await waitFor(() => p.logs.lines.some((l) => l.msg === BEHIND), 30_000, 'the batcher to see the senders behind');

    await p.createWebhook('trickle', '/trickle');
    for (let n = 0; n < 20; n++) {
      await p.producer.publish(sampleDial('trickle', n));
      await sleep(25);
    }
    // Still behind: the trickle stays in its stream, no job of it exists yet.
    const jobsOf = async (company: string) => (await p.queues.of(company).getJobs(['waiting', 'active', 'delayed', 'completed'])).filter((j) => j.data.companySlug === company);
    expect(await jobsOf('trickle')).toHaveLength(0);

    await p.startSender();
    await waitFor(() => p.receiver.requestsTo('/trickle').reduce((sum, r) => sum + JSON.parse(r.body.toString()).dials.length, 0) >= 20, 30_000, '20 dials at /trickle');
    // Without backpressure (10 ms max wait) 20 dials 25 ms apart leave in ~20 batches.
    expect(p.receiver.requestsTo('/trickle').map((r) => JSON.parse(r.body.toString()).dials.length)).toEqual([20]);
    const messages = p.logs.lines.map((l) => l.msg);
    expect(messages.indexOf(CAUGHT_UP)).toBeGreaterThan(messages.indexOf(BEHIND));
  });
});

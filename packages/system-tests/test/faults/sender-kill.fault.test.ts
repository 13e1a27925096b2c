import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { formatReconciliation, publishDials, startLoad, waitFor, type ReceivedRequest } from '@outboundiq/testkit';
import { startTestWorld, type TestWorld } from '../../src/faults/world.js';

// Short attempt deadline so that a short lock is allowed (lock > 2 x 2 s + 0.5 s): a crashed
// sender's job is found stalled within lock + stalled interval, not the production 30 s.
const SENDER_ENV = { DELIVERY_TIMEOUT_MS: '2000', RETRY_DELAY_MS: '500', SENDER_LOCK_MS: '5000', SENDER_STALLED_INTERVAL_MS: '1000' };
// Sender A, the one killed, has a longer deadline (and so lock): the test kills it within
// milliseconds of its POST arriving, and A's own retry (5.5 s later) can never beat the kill.
const SENDER_A_ENV = { DELIVERY_TIMEOUT_MS: '5000', SENDER_LOCK_MS: '11000' };

// Scenario 2: a sender SIGKILLed while the receiver holds its POST open. The job stalls (its lock
// runs out and a stalled check finds it), and the other copy sends it again with the same
// deliveryId. How long that takes (lock + stalled interval) is printed, not asserted.
describe('a sender killed with SIGKILL during a POST', () => {
  let w: TestWorld;
  beforeAll(async () => {
    w = await startTestWorld({ name: 'sender-kill', env: SENDER_ENV });
    await w.fleet.start('batcher', 'batcher-1');
  }, 60_000);
  afterAll(() => w?.close(), 30_000);

  it('the job stalls and the other copy sends the delivery again with the same deliveryId, once', async () => {
    const [held] = await w.addWebhooks('holdco', 1);
    await w.addWebhooks('steady', 2);
    // The first request is held open forever (until the connection dies); any later one is answered.
    w.receiver.respond(held!, (_req, nth) => (nth === 0 ? { hang: true } : { status: 200 }));

    // Only sender A runs when the dial arrives, so A is the one holding the POST. It is killed as
    // soon as the POST arrives, well inside its attempt deadline, so the request sent again can
    // only come from B, through the stalled job.
    await w.fleet.start('sender', 'sender-a', SENDER_A_ENV);
    const [dial] = await publishDials(w.ledger, w.producer, 'holdco', 1, 'held');
    expect(dial!.outcome).toBe('enqueued');
    const [first] = await w.receiver.waitForRequests(held!, 1, 30_000);
    const deliveryId = first!.headers['x-outboundiq-delivery-id'] as string;
    const exit = await w.fleet.kill('sender-a', 'SIGKILL');
    expect(exit.signal).toBe('SIGKILL');
    const killedAt = Date.now();
    expect(w.receiver.requestsTo(held!)).toHaveLength(1);

    await w.fleet.start('sender', 'sender-b');
    const load = startLoad({ ledger: w.ledger, producer: w.producer, companies: ['steady'], perSecond: 20 });
    let again: ReceivedRequest;
    try {
      again = (await w.receiver.waitForRequests(held!, 2, 60_000))[1]!;
    } finally {
      await load.stop();
    }
    expect(again.headers['x-outboundiq-delivery-id']).toBe(deliveryId);
    expect(JSON.parse(again.body.toString()).deliveryId).toBe(deliveryId);
    await waitFor(() => w.ledger.ingest(w.receiver.requests).allDelivered(), 60_000, 'every dial delivered');
    await waitFor(async () => (await w.queues.getJob(deliveryId))?.finishedOn !== undefined, 60_000, 'the held job finished');
    const job = (await w.queues.getJob(deliveryId))!;
    expect(await job.getState()).toBe('completed');
    // It came back through BullMQ's stalled-job check, the path a crashed sender relies on.
    expect(job.stalledCounter).toBeGreaterThanOrEqual(1);

    const report = w.ledger.reconcile(w.receiver.requests);
    process.stdout.write(
      `[sender-kill] re-sent ${again.receivedAt - killedAt} ms after the SIGKILL (A's lock 11000 ms, stalled check 1000 ms), job stalled ${job.stalledCounter} time(s)\n${formatReconciliation(report)}\n`,
    );
    expect(w.ledger.requestsFor(held!, deliveryId)).toBe(2);
    expect(report).toMatchObject({ missingCount: 0, duplicateCount: 0, violationCount: 0, ok: true });
  }, 150_000);
});

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { formatReconciliation, publishDials, startLoad, waitFor } from '@outboundiq/testkit';
import { startTestWorld, type TestWorld } from '../../src/faults/world.js';

// Short attempt deadline so that a short lock is allowed (lock > 2 x 2 s + 0.5 s): a crashed
// sender's job is found stalled within lock + stalled interval, not the production 30 s.
const SENDER_ENV = { DELIVERY_TIMEOUT_MS: '2000', RETRY_DELAY_MS: '500', SENDER_LOCK_MS: '5000', SENDER_STALLED_INTERVAL_MS: '1000' };

// Scenario 2: a sender SIGKILLed while the receiver holds its POST open. The job stalls, and the
// other copy sends it again with the same deliveryId, in bounded time.
describe('a sender killed with SIGKILL during a POST', () => {
  let w: TestWorld;
  beforeAll(async () => {
    w = await startTestWorld({ name: 'sender-kill', env: SENDER_ENV });
    await w.fleet.start('batcher', 'batcher-1');
  }, 60_000);
  afterAll(() => w?.close(), 30_000);

  it('the other copy sends the delivery again with the same deliveryId, within lock + stalled check', async () => {
    const [held] = await w.addWebhooks('holdco', 1);
    await w.addWebhooks('steady', 2);
    // The first request is held open forever (until the connection dies); any later one is answered.
    w.receiver.respond(held!, (_req, nth) => (nth === 0 ? { hang: true } : { status: 200 }));

    // Only sender A runs when the dial arrives, so A is the one holding the POST.
    await w.fleet.start('sender', 'sender-a');
    const [dial] = await publishDials(w.ledger, w.producer, 'holdco', 1, 'held');
    expect(dial!.outcome).toBe('enqueued');
    const [first] = await w.receiver.waitForRequests(held!, 1, 15_000);
    const deliveryId = first!.headers['x-outboundiq-delivery-id'] as string;

    await w.fleet.start('sender', 'sender-b');
    const load = startLoad({ ledger: w.ledger, producer: w.producer, companies: ['steady'], perSecond: 20 });
    let recoveredMs: number;
    try {
      const exit = await w.fleet.kill('sender-a', 'SIGKILL');
      expect(exit.signal).toBe('SIGKILL');
      const killedAt = Date.now();
      const [, again] = await w.receiver.waitForRequests(held!, 2, 20_000);
      recoveredMs = again!.receivedAt - killedAt;
      expect(again!.headers['x-outboundiq-delivery-id']).toBe(deliveryId);
      expect(JSON.parse(again!.body.toString()).deliveryId).toBe(deliveryId);
    } finally {
      await load.stop();
    }
    await waitFor(() => w.ledger.ingest(w.receiver.requests).allDelivered(), 20_000, 'every dial delivered');
    await waitFor(async () => (await w.queues.getJob(deliveryId))?.finishedOn !== undefined, 10_000, 'the held job finished');
    expect(await (await w.queues.getJob(deliveryId))!.getState()).toBe('completed');

    const report = w.ledger.reconcile(w.receiver.requests);
    process.stdout.write(`[sender-kill] re-sent ${recoveredMs} ms after the SIGKILL (lock 5000 ms, stalled check 1000 ms)\n${formatReconciliation(report)}\n`);
    // Bounded: lock expiry + one stalled check + a fetch, with generous slack for a slow machine.
    expect(recoveredMs).toBeLessThan(15_000);
    expect(w.ledger.requestsFor(held!, deliveryId)).toBe(2);
    expect(report).toMatchObject({ missingCount: 0, duplicateCount: 0, violationCount: 0, ok: true });
  }, 90_000);
});

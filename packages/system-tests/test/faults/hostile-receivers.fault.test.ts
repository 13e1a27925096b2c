import type { ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { formatReconciliation, memoryOf, publishDials, waitFor, type AppProcess } from '@outboundiq/testkit';
import { startTestWorld, type TestWorld } from '../../src/faults/world.js';

const MB = 1024 * 1024;
const HUGE_BYTES = 50 * MB;
const BOMB_BYTES = 200 * MB;

/** 200 status at once, then the body one byte every 200 ms, never finishing: only the client can end it. */
function trickle(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/plain' });
  const timer = setInterval(() => (res.destroyed ? clearInterval(timer) : res.write('.')), 200);
  res.on('close', () => clearInterval(timer));
}

/** 50 MB of body as fast as the sender takes it (respecting backpressure). */
function huge(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(HUGE_BYTES) });
  const chunk = Buffer.alloc(MB, 'x');
  let sent = 0;
  const pump = () => {
    while (sent < HUGE_BYTES && !res.destroyed) {
      sent += chunk.length;
      if (!res.write(chunk)) return void res.once('drain', pump);
    }
    if (!res.destroyed) res.end();
  };
  pump();
}

const bombBody = gzipSync(Buffer.alloc(BOMB_BYTES), { level: 9 });

/** A small gzip body that would inflate to 200 MB. */
function bomb(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': String(bombBody.length) });
  res.end(bombBody);
}

const deliveryIdOf = (w: TestWorld, path: string) => w.receiver.requestsTo(path)[0]!.headers['x-outboundiq-delivery-id'] as string;

// Scenario 6: receivers that trickle, flood or gzip-bomb their answer. The sender reads at most
// RESPONSE_BODY_LIMIT_BYTES, never decompresses, and the 10 s deadline (default) holds.
describe('receivers that trickle, flood or gzip-bomb their answer', () => {
  let w: TestWorld;
  let sender: AppProcess;
  beforeAll(async () => {
    w = await startTestWorld({ name: 'hostile' });
    for (const [company, raw] of [['trickle', trickle], ['huge', huge], ['bomb', bomb]] as const) {
      const [path] = await w.addWebhooks(company, 1);
      w.receiver.respond(path!, () => ({ raw }));
    }
    w.ledger.notOwed('/trickle/0');
    await w.addWebhooks('fine', 2);
    await w.fleet.start('batcher', 'batcher-1');
    sender = await w.fleet.start('sender', 'sender-1');
  }, 60_000);
  afterAll(() => w?.close(), 30_000);

  it('caps the read, keeps the deadline and the memory, and records each outcome', async () => {
    const memoryAtStart = memoryOf(sender.child.pid!);
    for (const company of ['trickle', 'huge', 'bomb', 'fine']) await publishDials(w.ledger, w.producer, company, 1, 'hostile');

    // Flood and bomb: read up to the cap, the 200 counts, one attempt each.
    await waitFor(() => w.ledger.ingest(w.receiver.requests).allDelivered(), 60_000, 'the dials delivered');
    for (const path of ['/huge/0', '/bomb/0']) {
      const id = deliveryIdOf(w, path);
      await waitFor(async () => (await w.queues.getJob(id))?.finishedOn !== undefined, 60_000, `${path} finished`);
      expect(await (await w.queues.getJob(id))!.getState()).toBe('completed');
    }

    // Trickle: each attempt is cut by the attempt deadline, one retry, then recorded as failed. A
    // deadline that did not hold would leave the job active for ever: it would never finish.
    const trickleId = deliveryIdOf(w, '/trickle/0');
    await waitFor(async () => (await w.queues.getJob(trickleId))?.finishedOn !== undefined, 60_000, 'the trickled delivery to finish');
    const job = (await w.queues.getJob(trickleId))!;
    expect(await job.getState()).toBe('failed');
    // Every request of the job came in before it finished: these are all of them.
    const trickled = w.receiver.requestsTo('/trickle/0');
    expect(trickled).toHaveLength(2);
    const [first, second] = trickled;
    // The trickle never ends by itself, so an answer that ended was cut by the sender. The sender's
    // log lines and the receiver's close events come through pipes and sockets: wait for them.
    const attempts = () => sender.logs.filter((l) => l.deliveryId === trickleId && l.level === 40);
    await waitFor(() => trickled.every((r) => r.closedAt !== undefined) && attempts().length >= 2, 10_000, 'both trickled answers cut and logged');
    const cutAfter = [first!, second!].map((r) => r.closedAt! - r.receivedAt);
    const gap = second!.receivedAt - first!.closedAt!;
    const failedAfter = job.finishedOn! - first!.receivedAt;

    const memoryAtEnd = memoryOf(sender.child.pid!);
    const report = w.ledger.reconcile(w.receiver.requests);
    process.stdout.write(
      `[hostile] trickle: answers cut after ${cutAfter.join(' and ')} ms, retry ${gap} ms after the first was cut, failed ${failedAfter} ms after the first request (${job.failedReason}); ` +
        `sender RSS ${memoryAtStart.rssKb >> 10} MB at start, peak ${memoryAtEnd.peakRssKb >> 10} MB ` +
        `(after a ${HUGE_BYTES / MB} MB body and a gzip body of ${bombBody.length >> 10} KB inflating to ${BOMB_BYTES / MB} MB)\n${formatReconciliation(report)}\n`,
    );
    // Both attempts ended by the configured attempt deadline (10 s, the default), not by anything else.
    const deadline = /within the deadline \(Timeout awaiting 'request' for 10000ms\)/;
    expect(job.failedReason).toMatch(deadline);
    expect(attempts().map((l) => [l.msg, deadline.test(String(l.error))])).toEqual([
      ['delivery attempt failed; retrying once', true],
      ['delivery retry failed', true],
    ]);
    // The retry came only after the first attempt had been cut.
    expect(gap).toBeGreaterThanOrEqual(0);
    // Nothing of the 50 MB or the 200 MB was held: the peak stays within a few MB of the start.
    expect(memoryAtEnd.peakRssKb - memoryAtStart.peakRssKb).toBeLessThan(40 * 1024);
    expect(report).toMatchObject({ missingCount: 0, duplicateCount: 0, violationCount: 0, ok: true });
  }, 120_000);
});

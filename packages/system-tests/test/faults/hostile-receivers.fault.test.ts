import type { ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { formatReconciliation, memoryOf, publishDials, waitFor, type AppProcess } from '@outboundiq/testkit';
import { startTestWorld, type TestWorld } from '../../src/faults/world.js';

const MB = 1024 * 1024;
const HUGE_BYTES = 50 * MB;
const BOMB_BYTES = 200 * MB;

/** How long each trickled answer lasted before the sender hung up (ms). */
const trickleDurations: number[] = [];

/** 200 status at once, then the body one byte every 200 ms, never finishing in time. */
function trickle(res: ServerResponse): void {
  const started = Date.now();
  res.writeHead(200, { 'content-type': 'text/plain' });
  const timer = setInterval(() => (res.destroyed ? clearInterval(timer) : res.write('.')), 200);
  res.on('close', () => {
    clearInterval(timer);
    trickleDurations.push(Date.now() - started);
  });
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
    await waitFor(() => w.ledger.ingest(w.receiver.requests).allDelivered(), 20_000, 'the dials delivered');
    for (const path of ['/huge/0', '/bomb/0']) {
      const id = deliveryIdOf(w, path);
      await waitFor(async () => (await w.queues.getJob(id))?.finishedOn !== undefined, 15_000, `${path} finished`);
      expect(await (await w.queues.getJob(id))!.getState()).toBe('completed');
    }

    // Trickle: each attempt is cut at the 10 s deadline, one retry, then recorded as failed.
    const [first, second] = await w.receiver.waitForRequests('/trickle/0', 2, 20_000);
    const gap = second!.receivedAt - first!.receivedAt;
    const trickleId = deliveryIdOf(w, '/trickle/0');
    await waitFor(async () => (await w.queues.getJob(trickleId))?.failedReason !== undefined, 20_000, 'the trickled delivery failed');
    const job = (await w.queues.getJob(trickleId))!;
    const failedAfter = job.finishedOn! - first!.receivedAt;
    expect(await job.getState()).toBe('failed');
    expect(job.failedReason).toMatch(/deadline/);
    expect(w.receiver.requestsTo('/trickle/0')).toHaveLength(2);
    await waitFor(() => trickleDurations.length === 2, 5_000, 'both trickled answers cut');

    const memoryAtEnd = memoryOf(sender.child.pid!);
    const report = w.ledger.reconcile(w.receiver.requests);
    process.stdout.write(
      `[hostile] trickle: answers cut after ${trickleDurations.join(' and ')} ms, retry ${gap} ms after the first attempt, failed ${failedAfter} ms after it (${job.failedReason}); ` +
        `sender RSS ${memoryAtStart.rssKb >> 10} MB at start, peak ${memoryAtEnd.peakRssKb >> 10} MB ` +
        `(after a ${HUGE_BYTES / MB} MB body and a gzip body of ${bombBody.length >> 10} KB inflating to ${BOMB_BYTES / MB} MB)\n${formatReconciliation(report)}\n`,
    );
    // The deadline holds: each attempt is cut at 10 s (counted from before the TLS handshake, so the
    // receiver sees a little less), then one retry about 500 ms later.
    for (const ms of trickleDurations) {
      expect(ms).toBeGreaterThan(8_000);
      expect(ms).toBeLessThan(11_000);
    }
    expect(gap).toBeGreaterThan(9_000);
    expect(gap).toBeLessThan(13_000);
    expect(failedAfter).toBeLessThan(25_000);
    // Nothing of the 50 MB or the 200 MB was held: the peak stays within a few MB of the start.
    expect(memoryAtEnd.peakRssKb - memoryAtStart.peakRssKb).toBeLessThan(40 * 1024);
    expect(report).toMatchObject({ missingCount: 0, duplicateCount: 0, violationCount: 0, ok: true });
  }, 60_000);
});

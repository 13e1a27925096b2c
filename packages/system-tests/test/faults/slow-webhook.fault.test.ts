import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { formatReconciliation, quantile, sleep, startLoad, waitFor, type DialLedger } from '@outboundiq/testkit';
import { startTestWorld, type TestWorld } from '../../src/faults/world.js';

const CALM = ['calm-a', 'calm-b', 'calm-c'];
const BEFORE_MS = 8_000;
const DURING_MS = 40_000;
/** The explicit, generous latency bound of this scenario (the only timing assertion of the suite). */
const P99_BOUND_MS = 1_000;

const calmLatencies = (ledger: DialLedger, from: number, to: number) =>
  ledger.latencies((dial) => CALM.includes(dial.companySlug) && dial.startedAt >= from && dial.startedAt < to);

// Scenario 5: one webhook hangs every request for 10 s while its company keeps publishing 20
// dials/s. The sender's per-webhook cap (SENDER_WEBHOOK_CONCURRENCY) must keep that webhook from
// taking the slots, or the queue, from everybody else: the other companies keep their latency.
describe('a webhook that hangs every request for 10 s', () => {
  let w: TestWorld;
  beforeAll(async () => {
    w = await startTestWorld({ name: 'slow-webhook' });
    for (const company of CALM) await w.addWebhooks(company, 2);
    const [hung] = await w.addWebhooks('hangco', 1);
    w.receiver.respond(hung!, () => ({ delayMs: 10_000, status: 200 }));
    w.ledger.notOwed(hung!);
    await Promise.all([w.fleet.start('batcher', 'batcher-1'), w.fleet.start('sender', 'sender-1')]);
  }, 60_000);
  afterAll(() => w?.close(), 30_000);

  it("does not slow the other companies' deliveries", async () => {
    const calm = startLoad({ ledger: w.ledger, producer: w.producer, companies: CALM, perSecond: 15 });
    const t0 = Date.now();
    await sleep(BEFORE_MS);
    const t1 = Date.now();
    const hang = startLoad({ ledger: w.ledger, producer: w.producer, companies: ['hangco'], perSecond: 20 });
    await sleep(DURING_MS);
    const t2 = Date.now();
    await Promise.all([calm.stop(), hang.stop()]);
    await waitFor(() => w.ledger.ingest(w.receiver.requests).allDelivered(), 20_000, 'every calm dial delivered');

    const before = calmLatencies(w.ledger, t0, t1);
    const during = calmLatencies(w.ledger, t1, t2);
    const p99Before = quantile(before, 0.99);
    const p99During = quantile(during, 0.99);
    const hungRequests = w.receiver.requestsTo('/hangco/0').length;
    const report = w.ledger.reconcile(w.receiver.requests);
    process.stdout.write(
      `[slow-webhook] calm companies publish->receipt p99 before ${p99Before} ms (p50 ${quantile(before, 0.5)}, n=${before.length}), ` +
        `during ${p99During} ms (p50 ${quantile(during, 0.5)}, max ${Math.max(...during)}, n=${during.length}); ` +
        `hangco published ${hang.started}, its webhook got ${hungRequests} requests\n${formatReconciliation(report)}\n`,
    );
    expect(during.length).toBeGreaterThan(400);
    expect(p99During).toBeLessThan(P99_BOUND_MS);
    expect(report).toMatchObject({ missingCount: 0, duplicateCount: 0, violationCount: 0, ok: true });
  }, 120_000);
});

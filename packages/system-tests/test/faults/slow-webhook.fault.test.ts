import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { formatReconciliation, quantile, sleep, startLoad, waitFor, type DialLedger, type ReceivedRequest } from '@outboundiq/testkit';
import { startTestWorld, type TestWorld } from '../../src/faults/world.js';

const CALM = ['calm-a', 'calm-b', 'calm-c'];
const BEFORE_MS = 8_000;
const DURING_MS = 40_000;
/** Deliveries one webhook may have in flight in a sender (the default, set here to name it). */
const PER_WEBHOOK = 8;

const calmLatencies = (ledger: DialLedger, from: number, to: number) =>
  ledger.latencies((dial) => CALM.includes(dial.companySlug) && dial.startedAt >= from && dial.startedAt < to);

/** Of `requests`, those open at the receiver at `t` (received, not yet answered or cut); one that ended in the same ms counts as ended. */
const openAt = (requests: readonly ReceivedRequest[], t: number) =>
  requests.filter((r) => r.receivedAt <= t && (r.closedAt === undefined || r.closedAt > t)).length;

// Scenario 5: one webhook hangs every request for 10 s while its company keeps publishing 20
// dials/s. The sender's per-webhook cap (SENDER_WEBHOOK_CONCURRENCY) must keep that webhook from
// taking the slots, or the queue, from everybody else. Asserted as what the receiver saw: the hung
// webhook never had more than its cap open at once, and the other companies' deliveries kept
// arriving while it held all of them. Their latency is a figure, printed, not asserted.
describe('a webhook that hangs every request for 10 s', () => {
  let w: TestWorld;
  let hung: string;
  beforeAll(async () => {
    w = await startTestWorld({ name: 'slow-webhook', env: { SENDER_WEBHOOK_CONCURRENCY: String(PER_WEBHOOK) } });
    for (const company of CALM) await w.addWebhooks(company, 2);
    [hung] = (await w.addWebhooks('hangco', 1)) as [string];
    w.receiver.respond(hung, () => ({ delayMs: 10_000, status: 200 }));
    w.ledger.notOwed(hung);
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
    // Not delivered in time shows as missing in the reconciliation, after the assertions that say why.
    await waitFor(() => w.ledger.ingest(w.receiver.requests).allDelivered(), 60_000, 'every calm dial delivered').catch(() => undefined);

    const before = calmLatencies(w.ledger, t0, t1);
    const during = calmLatencies(w.ledger, t1, t2);
    const hungRequests = w.receiver.requestsTo(hung);
    const calmRequests = w.receiver.requests.filter((r) => CALM.some((c) => r.path.startsWith(`/${c}/`)));
    // The most the hung webhook ever had open: a peak is always at an arrival.
    const hungPeak = Math.max(0, ...hungRequests.map((r) => openAt(hungRequests, r.receivedAt)));
    const calmWhileCapped = calmRequests.filter((r) => openAt(hungRequests, r.receivedAt) >= PER_WEBHOOK).length;
    const report = w.ledger.reconcile(w.receiver.requests);
    process.stdout.write(
      `[slow-webhook] calm companies publish->receipt p99 before ${quantile(before, 0.99)} ms (p50 ${quantile(before, 0.5)}, n=${before.length}), ` +
        `during ${quantile(during, 0.99)} ms (p50 ${quantile(during, 0.5)}, max ${Math.max(...during)}, n=${during.length}); ` +
        `hangco published ${hang.started}, its webhook got ${hungRequests.length} requests, at most ${hungPeak} open at once; ` +
        `${calmWhileCapped} of ${calmRequests.length} calm requests arrived while it held all ${PER_WEBHOOK}\n${formatReconciliation(report)}\n`,
    );
    // The hung webhook reached its cap and never went past it...
    expect(hungPeak).toBe(PER_WEBHOOK);
    // ...and while it held every slot it may hold, the other companies were still being delivered.
    expect(calmWhileCapped).toBeGreaterThan(0);
    // The load is a fixed rate for a fixed time (15/s for 40 s); every calm dial of it was delivered.
    expect(during.length).toBeGreaterThan(400);
    expect(report).toMatchObject({ missingCount: 0, duplicateCount: 0, violationCount: 0, ok: true });
  }, 180_000);
});

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { formatReconciliation, quantile, startLoad, waitFor } from '@outboundiq/testkit';
import { startTestWorld, unfinishedJobs, type TestWorld } from '../../src/faults/world.js';

const COMPANIES = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot'];
const KILLS = 5;

// Scenario 1: two batchers; one is SIGKILLed mid-flow again and again (restarted each time) while
// dials keep coming. Its claims run out (BATCHER_LEASE_MS) and the other copy recovers its pending
// entries into the very same batches: nothing lost, nothing in two deliveries.
describe('a batcher killed with SIGKILL, over and over, under load', () => {
  let w: TestWorld;
  beforeAll(async () => {
    w = await startTestWorld({ name: 'batcher-kill', env: { BATCHER_LEASE_MS: '1000' } });
    for (const [i, company] of COMPANIES.entries()) await w.addWebhooks(company, 1 + (i % 3));
    await Promise.all([w.fleet.start('batcher', 'batcher-a'), w.fleet.start('batcher', 'batcher-b'), w.fleet.start('sender', 'sender-1')]);
  }, 60_000);
  afterAll(() => w?.close(), 30_000);

  it('every dial reaches every webhook once, in one delivery', async () => {
    const load = startLoad({ ledger: w.ledger, producer: w.producer, companies: COMPANIES, perSecond: 100 });
    const kills: { at: number; requestsBefore: number }[] = [];
    try {
      for (let k = 0; k < KILLS; k++) {
        // Let both copies take a share of the flow first, then kill one mid-flow.
        const seen = w.receiver.requests.length;
        await waitFor(() => w.receiver.requests.length >= seen + 40, 20_000, 'deliveries flowing');
        kills.push({ at: Date.now(), requestsBefore: w.receiver.requests.length });
        const exit = await w.fleet.kill('batcher-a', 'SIGKILL');
        expect(exit.signal).toBe('SIGKILL');
        await w.fleet.start('batcher', 'batcher-a');
      }
      const seen = w.receiver.requests.length;
      await waitFor(() => w.receiver.requests.length >= seen + 40, 20_000, 'deliveries flowing after the last restart');
    } finally {
      await load.stop();
    }
    const stoppedAt = Date.now();
    await waitFor(() => w.ledger.ingest(w.receiver.requests).allDelivered(), 30_000, 'every dial delivered');
    const drainMs = Date.now() - stoppedAt;
    await waitFor(async () => (await w.pendingEntries()) === 0, 10_000, 'no entry pending in the batchers group');
    await waitFor(async () => Object.values(await unfinishedJobs(w.queues)).every((n) => n === 0), 15_000, 'every job finished');

    const report = w.ledger.reconcile(w.receiver.requests);
    const latencies = w.ledger.latencies();
    // For the report only (the assertions read the ledger): how often a pass was actually recovered.
    const recovered = w.fleet.processes().flatMap((p) => p.logs).filter((l) => l.msg === 'recovered entries a stopped batcher left pending').length;
    process.stdout.write(
      `[batcher-kill] ${KILLS} SIGKILLs, ${recovered} passes recovered from a dead copy; publish->receipt p50 ${quantile(latencies, 0.5)} ms, p99 ${quantile(latencies, 0.99)} ms, max ${Math.max(...latencies)} ms; ` +
        `last dials delivered ${drainMs} ms after the load stopped\n${formatReconciliation(report)}\n`,
    );
    expect(report.enqueued).toBeGreaterThan(500);
    expect(report).toMatchObject({ missingCount: 0, duplicateCount: 0, violationCount: 0, ok: true });
  }, 150_000);
});

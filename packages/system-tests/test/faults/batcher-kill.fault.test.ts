import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { formatReconciliation, quantile, startLoad, waitFor, type DialLedger } from '@outboundiq/testkit';
import { startTestWorld, type TestWorld, waitUntilSettled } from '../../src/faults/world.js';

const COMPANIES = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot'];
const KILLS = 5;
/** Dials the load publishes at least, whatever the speed of the machine. */
const DIALS = 600;
/**
 * batcher-a pauses every pass between adding its delivery jobs and acknowledging (the window a
 * crash must not lose or double anything in) for far longer than the test takes to kill it there.
 */
const FAILPOINT = { BATCHER_FAILPOINT_PAUSE_BEFORE_ACK_MS: '120000' };
const PAUSED = 'failpoint: pass paused before acknowledging';
const RECOVERED = 'recovered entries a stopped batcher left pending';

const enqueuedSoFar = (ledger: DialLedger) => [...ledger.dials.values()].filter((d) => d.outcome === 'enqueued').length;
const countBy = (values: string[]) => values.reduce((m, v) => m.set(v, (m.get(v) ?? 0) + 1), new Map<string, number>());

// Scenario 1: two batchers; one is SIGKILLed in the middle of a pass again and again (restarted
// each time) while dials keep coming. Its claims run out (BATCHER_LEASE_MS) and a live copy
// recovers its pending entries into the very same batches: nothing lost, nothing in two deliveries.
describe('a batcher killed with SIGKILL between adding jobs and acknowledging, over and over, under load', () => {
  let w: TestWorld;
  beforeAll(async () => {
    w = await startTestWorld({ name: 'batcher-kill', env: { BATCHER_LEASE_MS: '1000' } });
    for (const [i, company] of COMPANIES.entries()) await w.addWebhooks(company, 1 + (i % 3));
    await Promise.all([w.fleet.start('batcher', 'batcher-a', FAILPOINT), w.fleet.start('batcher', 'batcher-b'), w.fleet.start('sender', 'sender-1')]);
  }, 60_000);
  afterAll(() => w?.close(), 30_000);

  it('every dial reaches every webhook once, in one delivery, and every killed pass is recovered', async () => {
    const load = startLoad({ ledger: w.ledger, producer: w.producer, companies: COMPANIES, perSecond: 100 });
    // The company of each pass the kill landed in: jobs added, entries never acknowledged.
    const killedPasses: string[] = [];
    try {
      for (let k = 0; k < KILLS; k++) {
        // Each copy of batcher-a is fresh, so its first failpoint line is a pass paused right now.
        const paused = await w.fleet.get('batcher-a').waitForLog((l) => l.msg === PAUSED, 60_000);
        const exit = await w.fleet.kill('batcher-a', 'SIGKILL');
        expect(exit.signal).toBe('SIGKILL');
        killedPasses.push(String(paused.companySlug));
        // The last copy runs without the failpoint: the end of the run is the production batcher.
        await w.fleet.start('batcher', 'batcher-a', k < KILLS - 1 ? FAILPOINT : {});
      }
      await waitFor(() => enqueuedSoFar(w.ledger) >= DIALS, 60_000, `${DIALS} dials enqueued`);
    } finally {
      await load.stop();
    }
    const stoppedAt = Date.now();
    await waitFor(() => w.ledger.ingest(w.receiver.requests).allDelivered(), 60_000, 'every dial delivered');
    const drainMs = Date.now() - stoppedAt;
    // A killed pass's entries stay pending until a live copy recovers them: none left means all were.
    await waitUntilSettled(w);

    // Each kill left one company's pass pending under a dead consumer and a lease nobody renews, so
    // the next claim of that company is a recovery, which logs before it adds anything.
    const recoveredPasses = () => w.fleet.processes().flatMap((p) => p.logs).filter((l) => l.msg === RECOVERED).map((l) => String(l.companySlug));
    const shortfalls = () => {
      const recovered = countBy(recoveredPasses());
      return [...countBy(killedPasses)]
        .filter(([company, kills]) => (recovered.get(company) ?? 0) < kills)
        .map(([company, kills]) => `${company}: ${kills} killed, ${recovered.get(company) ?? 0} recovered`);
    };
    // Log lines come through a pipe: the entries being acknowledged does not mean the line was read.
    await waitFor(() => shortfalls().length === 0, 5_000, 'the recovery log line of every killed pass').catch(() => undefined);

    const report = w.ledger.reconcile(w.receiver.requests);
    const latencies = w.ledger.latencies();
    process.stdout.write(
      `[batcher-kill] ${KILLS} SIGKILLs between addBulk and ack (passes of ${killedPasses.join(', ')}), ${recoveredPasses().length} passes recovered from a dead copy; ` +
        `publish->receipt p50 ${quantile(latencies, 0.5)} ms, p99 ${quantile(latencies, 0.99)} ms, max ${Math.max(...latencies)} ms; ` +
        `last dials delivered ${drainMs} ms after the load stopped\n${formatReconciliation(report)}\n`,
    );
    expect(killedPasses).toHaveLength(KILLS);
    expect(shortfalls()).toEqual([]);
    expect(recoveredPasses().length).toBeGreaterThanOrEqual(KILLS);
    expect(report.enqueued).toBeGreaterThanOrEqual(DIALS);
    expect(report).toMatchObject({ missingCount: 0, duplicateCount: 0, violationCount: 0, ok: true });
  }, 240_000);
});

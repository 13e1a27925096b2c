import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { formatReconciliation, startLoad, waitFor, type AppProcess, type ExitInfo } from '@outboundiq/testkit';
import { startTestWorld, unfinishedJobs, type TestWorld } from '../../src/faults/world.js';

const COMPANIES = ['ant', 'bee', 'cow', 'doe'];
// Longer than a whole delivery (2 x 5 s + 0.5 s), as the contract asks of the grace period.
const SHUTDOWN_TIMEOUT_MS = 15_000;

// Scenario 4: SIGTERM to each app under load, then to all of them at once. In-flight deliveries
// finish (no delivery is ever sent again, which is what an abandoned job would cause), each process
// exits 0 within SHUTDOWN_TIMEOUT_MS, and nothing is left active in BullMQ or pending in the group.
describe('SIGTERM under load', () => {
  let w: TestWorld;
  beforeAll(async () => {
    w = await startTestWorld({
      name: 'sigterm',
      env: { SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS), DELIVERY_TIMEOUT_MS: '5000', SENDER_LOCK_MS: '12000', SENDER_STALLED_INTERVAL_MS: '1000' },
    });
    for (const company of COMPANIES) {
      // Slow receivers (0.1-1 s, far inside the 5 s deadline even on a loaded machine), so that
      // every SIGTERM finds deliveries in flight.
      for (const path of await w.addWebhooks(company, 2)) w.receiver.respond(path, (_req, nth) => ({ delayMs: 100 + ((nth * 137) % 900) }));
    }
    await Promise.all(['a', 'b'].flatMap((x) => [w.fleet.start('batcher', `batcher-${x}`), w.fleet.start('sender', `sender-${x}`)]));
  }, 60_000);
  afterAll(() => w?.close(), 30_000);

  const flowing = async () => {
    const seen = w.receiver.requests.length;
    await waitFor(() => w.receiver.requests.length >= seen + 40, 30_000, 'deliveries flowing');
  };
  // Within the grace period, read from the app itself rather than a stopwatch: past its deadline
  // (SHUTDOWN_TIMEOUT_MS, on its own clock) an app logs so and exits 1, and a step that fails also
  // exits 1. So exit code 0 with no such line means every step finished in time.
  const expectCleanExit = (label: string, exit: ExitInfo, proc: AppProcess) => {
    const trouble = proc.logs.filter((l) => l.msg === 'shutdown deadline passed; exiting with work unfinished' || l.msg === 'shutdown step failed').map((l) => l.msg);
    expect({ label, code: exit.code, signal: exit.signal, trouble }).toEqual({ label, code: 0, signal: null, trouble: [] });
  };

  it('each app finishes its work and exits 0 within the grace period; nothing is lost or sent twice', async () => {
    const load = startLoad({ ledger: w.ledger, producer: w.producer, companies: COMPANIES, perSecond: 60 });
    const exits: string[] = [];
    try {
      for (const label of ['sender-a', 'batcher-a']) {
        await flowing();
        const proc = w.fleet.get(label);
        const exit = await w.fleet.kill(label, 'SIGTERM');
        exits.push(`${label} ${exit.ms} ms`);
        expectCleanExit(label, exit, proc);
        await w.fleet.start(label.startsWith('sender') ? 'sender' : 'batcher', label);
      }
      await flowing();
    } finally {
      await load.stop();
    }
    // Everything at once, with deliveries still in flight.
    const labels = ['batcher-a', 'batcher-b', 'sender-a', 'sender-b'];
    const procs = labels.map((label) => w.fleet.get(label));
    const all = await Promise.all(labels.map((label) => w.fleet.kill(label, 'SIGTERM')));
    all.forEach((exit, i) => {
      exits.push(`${labels[i]} ${exit.ms} ms`);
      expectCleanExit(labels[i]!, exit, procs[i]!);
    });
    expect(await w.pendingEntries()).toBe(0);
    const counts = await unfinishedJobs(w.queues);
    expect(counts.active).toBe(0);

    // Back up: what was queued or not yet batched goes out, once.
    await Promise.all([w.fleet.start('batcher', 'batcher-c'), w.fleet.start('sender', 'sender-c')]);
    await waitFor(() => w.ledger.ingest(w.receiver.requests).allDelivered(), 60_000, 'every dial delivered');
    await waitFor(async () => Object.values(await unfinishedJobs(w.queues)).every((n) => n === 0), 30_000, 'every job finished');
    const report = w.ledger.reconcile(w.receiver.requests);
    if (report.resent > 0) {
      // To tell a retry after a failed attempt from a job abandoned by a stopping sender.
      const warnings = w.fleet.processes().flatMap((p) => p.logs.filter((l) => Number(l.level) >= 40).map((l) => `${p.name}: ${l.msg} ${String(l.error ?? '')}`));
      process.stdout.write(`[sigterm] app warnings:\n${[...new Set(warnings)].slice(0, 30).join('\n')}\n`);
    }
    process.stdout.write(`[sigterm] exits: ${exits.join(', ')}; left queued at the full stop ${JSON.stringify(counts)}\n${formatReconciliation(report)}\n`);
    expect(report.resent).toBe(0);
    expect(report).toMatchObject({ missingCount: 0, duplicateCount: 0, violationCount: 0, ok: true });
  }, 150_000);
});

import { afterEach, describe, expect, it } from '@jest/globals';
import { scrapeMetrics, sumOf, waitFor, type ReceivedRequest } from '@outboundiq/testkit';
import { sampleDial, startPipeline, type Pipeline } from '../src/harness.js';

const COMPANIES = ['mp-a', 'mp-b', 'mp-c'];
const DIALS_EACH = 8;

/** The most requests the receiver had open at once (each from arrival to its answer). */
function mostAtOnce(requests: readonly ReceivedRequest[]): number {
  const edges = requests.flatMap((r) => [[r.receivedAt, 1], [r.closedAt ?? Infinity, -1]] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let open = 0;
  let most = 0;
  for (const [, step] of edges) most = Math.max(most, (open += step));
  return most;
}

/**
 * Queues many deliveries (three companies, one dial per publish) while the sender is held back, then
 * lets it run against a receiver that answers after 100 ms: the dials all arrive, and the receiver
 * sees how many deliveries the sender had in flight at once.
 */
async function run(env: Record<string, string>): Promise<{ p: Pipeline; mostAtOnce: number }> {
  const p = await startPipeline('memory-pressure', env, { holdSender: true });
  for (const company of COMPANIES) {
    await p.createWebhook(company, `/${company}`);
    p.receiver.respond(`/${company}`, () => ({ status: 200, delayMs: 100 }));
  }
  for (let n = 0; n < DIALS_EACH; n++) {
    for (const company of COMPANIES) await p.producer.publish(sampleDial(company, n));
    await new Promise((r) => setTimeout(r, 30));
  }
  await waitFor(async () => (await p.queues.getWaitingCount()) >= 3, 15_000, 'delivery jobs queued');
  await p.startSender();
  const all = () => COMPANIES.flatMap((c) => p.receiver.requestsTo(`/${c}`));
  const dials = () => all().reduce((sum, r) => sum + (JSON.parse(r.body.toString()) as { dials: unknown[] }).dials.length, 0);
  await waitFor(() => dials() === COMPANIES.length * DIALS_EACH && all().every((r) => r.closedAt !== undefined), 60_000, 'every dial delivered');
  return { p, mostAtOnce: mostAtOnce(all()) };
}

// Issue 17: a worker over its memory soft limit slows its intake (one unit of work at a time) and
// still delivers everything. MEMORY_SOFT_LIMIT_MB=1 puts a process over it from the start.
describe('memory pressure (MEMORY_SOFT_LIMIT_MB)', () => {
  let p: Pipeline | undefined;
  afterEach(async () => {
    await p?.close();
    p = undefined;
  });

  it('without pressure the sender has several deliveries in flight at once', async () => {
    const result = await run({});
    p = result.p;
    expect(result.mostAtOnce).toBeGreaterThan(1);
  }, 90_000);

  it('over the soft limit, batcher and sender take one unit at a time, say so, and still deliver every dial', async () => {
    const result = await run({ MEMORY_SOFT_LIMIT_MB: '1' });
    p = result.p;
    expect(result.mostAtOnce).toBe(1);
    for (const app of ['batcher', 'sender'] as const) {
      const metrics = await scrapeMetrics(`http://127.0.0.1:${p.healthPort(app)}/metrics`);
      expect([app, sumOf(metrics, 'oiq_memory_pressure'), sumOf(metrics, 'oiq_memory_soft_limit_bytes')]).toEqual([app, 1, 1024 * 1024]);
    }
    expect(p.logs.lines.filter((l) => l.msg === 'memory above MEMORY_SOFT_LIMIT_MB: taking one unit of work at a time until it falls').length).toBe(2);
  }, 90_000);
});

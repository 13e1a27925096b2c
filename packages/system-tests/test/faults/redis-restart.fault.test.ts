import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { faultDial, formatReconciliation, startLoad, waitFor } from '@outboundiq/testkit';
import { startTestWorld, unfinishedJobs, type TestWorld, waitUntilSettled } from '../../src/faults/world.js';

const COMPANIES = ['north', 'south', 'east', 'west'];
const DOWNTIME_MS = 3_000;
/** How the producer's publisher client gives up on a Redis that is away (core/redis.ts). */
const PUBLISH_BOUND = /Command timed out|max retries per request/;

// Scenario 3: Redis restarted under load (SIGTERM, then SIGKILL; AOF with fsync always keeps what
// was acknowledged) and a consumer group destroyed by hand. Every app and the producer reconnect by
// themselves, the group is recreated, producer calls during the outage reject in bounded time.
// The lease (5 s, the default) outlasts the outage (3 s): a claim runs out on Redis's clock, which
// goes on while nobody can reach it, and a claim that ran out while its batcher was alive but cut
// off lets a second batcher work the same company (see the report of issue 4).
describe('Redis restarted under load', () => {
  let w: TestWorld;
  let pids: Record<string, number>;
  beforeAll(async () => {
    w = await startTestWorld({ name: 'redis-restart', env: { BATCHER_LEASE_MS: '5000', ADMIN_API_TOKENS: 'fault-token' } });
    for (const company of COMPANIES) await w.addWebhooks(company, 2);
    const apps = await Promise.all([
      w.fleet.start('batcher', 'batcher-a'), w.fleet.start('batcher', 'batcher-b'),
      w.fleet.start('sender', 'sender-a'), w.fleet.start('sender', 'sender-b'), w.fleet.start('admin', 'admin'),
    ]);
    pids = Object.fromEntries(apps.map((p) => [p.name, p.child.pid!]));
  }, 60_000);
  afterAll(() => w?.close(), 30_000);

  const flowing = async (what: string) => {
    const seen = w.receiver.requests.length;
    await waitFor(() => w.receiver.requests.length >= seen + 30, 30_000, what);
  };
  /** One publish on its own during the outage: how long until it settles, and how. */
  const probe = async (n: number) => {
    const started = Date.now();
    const dial = faultDial('north', `probe-${n}-${started}`, n);
    const entry = await w.ledger.publish(dial, () => w.producer.publish(dial));
    return { outcome: entry.outcome, error: entry.error, ms: Date.now() - started };
  };

  it('loses nothing acknowledged, and everything reconnects without a process restart', async () => {
    const load = startLoad({ ledger: w.ledger, producer: w.producer, companies: COMPANIES, perSecond: 50 });
    const outages: string[] = [];
    try {
      await flowing('deliveries before the restarts');
      for (const kill of [false, true]) {
        const restarted = w.redisServer.restart({ kill, downtimeMs: DOWNTIME_MS });
        // Let the server go down first (restart() resolves only once it is back).
        await waitFor(() => w.redis.status !== 'ready', 15_000, 'the connection to drop');
        const during = await probe(outages.length);
        await restarted;
        const back = Date.now();
        await waitFor(async () => (await probe(outages.length + 100)).outcome === 'enqueued', 30_000, 'a publish to succeed again');
        const publishBackMs = Date.now() - back;
        await flowing(`deliveries after the ${kill ? 'SIGKILL' : 'SIGTERM'} restart`);
        outages.push(`${kill ? 'SIGKILL' : 'SIGTERM'}: publish during the outage ${during.outcome} after ${during.ms} ms (${during.error}), succeeded again ${publishBackMs} ms after Redis was back, deliveries flowing ${Date.now() - back} ms after`);
        // Rejected by the producer's own bound (its command timeout), not left to hang until Redis
        // came back; how long that took is printed above.
        expect(during).toMatchObject({ outcome: 'rejected', error: expect.stringMatching(PUBLISH_BOUND) });
      }
      // A consumer group gone (operator error, or a Redis that lost it): NOGROUP must not wedge.
      await w.redis.xgroup('DESTROY', w.keys.dials('south'), 'batchers');
      await flowing('deliveries after the group was destroyed');
    } finally {
      await load.stop();
    }
    // Up to 60 s: a delivery job active during the restart may only come back once its lock (30 s)
    // has run out and a stalled check found it.
    const stoppedAt = Date.now();
    await waitFor(() => w.ledger.ingest(w.receiver.requests).allDelivered(), 60_000, 'every acknowledged dial delivered').catch(async (err: unknown) => {
      const state: string[] = [];
      for (const c of COMPANIES) {
        const stream = w.keys.dials(c);
        state.push(`${c}: xlen ${await w.redis.xlen(stream)}, pending ${JSON.stringify(await w.redis.xpending(stream, 'batchers').catch((e: Error) => e.message))}`);
      }
      state.push(`ready ${JSON.stringify(await w.redis.zrange(w.keys.shard(0).ready(), '0', '-1', 'WITHSCORES'))} leases ${JSON.stringify(await w.redis.zrange(w.keys.shard(0).leases(), '0', '-1', 'WITHSCORES'))} now ${JSON.stringify(await w.redis.time())}`);
      state.push(`jobs ${JSON.stringify(await unfinishedJobs(w.queues))}; missing ${w.ledger.missing(10).join(', ')}`);
      process.stdout.write(`[redis-restart] NOT DELIVERED:\n${state.join('\n')}\n`);
      throw err;
    });
    outages.push(`all delivered ${Date.now() - stoppedAt} ms after the load stopped`);
    await waitUntilSettled(w);

    // Same processes as at the start: nobody needed a restart. The admin is ready again.
    for (const [label, pid] of Object.entries(pids)) {
      expect(w.fleet.running(label)).toBe(true);
      expect(w.fleet.get(label).child.pid).toBe(pid);
    }
    const port = (w.fleet.get('admin').logs.find((l) => typeof l.msg === 'string' && l.msg.startsWith('Server listening')) as { msg: string }).msg.split(':').pop();
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200, 30_000, 'the admin ready');
    expect(await w.redis.xinfo('GROUPS', w.keys.dials('south'))).toHaveLength(1);

    const report = w.ledger.reconcile(w.receiver.requests);
    process.stdout.write(`[redis-restart] ${outages.join('; ')}\n${formatReconciliation(report)}\n`);
    if (report.duplicateCount > 0) {
      // Which batches overlap, and how: the first dial in two deliveries, with each delivery's dials.
      const ids = report.duplicates[0]!.split(' in ')[1]!.split(', ');
      for (const id of ids) {
        const request = w.receiver.requests.find((r) => r.headers['x-outboundiq-delivery-id'] === id)!;
        const dials = (JSON.parse(request.body.toString()) as { dials: { callId: string }[] }).dials.map((d) => d.callId);
        process.stdout.write(`[redis-restart] delivery ${id} at ${request.receivedAt}: ${dials.join(' ')}\n`);
      }
    }
    expect(report.rejected).toBeGreaterThan(0);
    expect(report).toMatchObject({ missingCount: 0, duplicateCount: 0, violationCount: 0, ok: true });
  }, 180_000);
});

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { formatReconciliation, startLoad, waitFor, type ReceivedRequest } from '@outboundiq/testkit';
import { companiesOnEveryShard, rejectionsByKind, shardMasters } from '../../src/faults/cluster.js';
import { startTestWorld, type ClusterTestWorld, waitUntilSettled } from '../../src/faults/world.js';

const SHARDS = 16;
const APPS = [['batcher', 'batcher-a'], ['batcher', 'batcher-b'], ['sender', 'sender-a'], ['sender', 'sender-b']] as const;
// Short attempt deadline so that a short lock is allowed: a job that was active on the killed master
// is found stalled within lock + stalled check, not the production 30 s.
const SENDER_ENV = { DELIVERY_TIMEOUT_MS: '2000', RETRY_DELAY_MS: '500', SENDER_LOCK_MS: '5000', SENDER_STALLED_INTERVAL_MS: '1000' };

// Scenario: Redis Cluster (3 masters + 3 replicas, S = 16) under a producer that waits for one
// replica. The master serving the most shards is SIGKILLed mid-flow; its replica takes over. No
// dial a publish acknowledged is lost, none arrives in two deliveries, no app process dies, and the
// shards of the other masters keep delivering while the failover runs. The old master then comes
// back as a replica, and publishes to its shards are acknowledged again.
describe('a Redis Cluster master killed with SIGKILL under load', () => {
  let w: ClusterTestWorld;
  let companies: string[];
  let pids: Map<string, number>;
  beforeAll(async () => {
    w = await startTestWorld({
      name: 'cluster-failover',
      cluster: { masters: 3, replicasPerMaster: 1 },
      shards: SHARDS,
      producer: { waitForReplicas: 1 },
      // Claims on the failed-over shards run out during the failover, as they do in production, where
      // cluster-node-timeout (15 s by default) outlasts the default 5 s lease.
      env: { ...SENDER_ENV, BATCHER_LEASE_MS: '2000' },
    });
    companies = companiesOnEveryShard(w.keys, 'fo', 2);
    for (const [i, company] of companies.entries()) await w.addWebhooks(company, 1 + (i % 2));
    const started = await Promise.all(APPS.map(([app, label]) => w.fleet.start(app, label)));
    pids = new Map(started.map((p) => [p.name, p.child.pid!]));
  }, 60_000);
  afterAll(() => w?.close(), 30_000);

  it('loses no acknowledged dial, delivers none twice, and the other masters keep delivering', async () => {
    const masterOfShard = await shardMasters(w.cluster, w.keys);
    const shardsOf = (port: number) => masterOfShard.filter((p) => p === port).length;
    const ports = [...new Set(masterOfShard)];
    const victim = ports.sort((a, b) => shardsOf(b) - shardsOf(a))[0]!;
    const onVictim = new Set(companies.filter((c) => masterOfShard[w.keys.shardOf(c)] === victim));
    const companyOf = (r: ReceivedRequest) => r.path.split('/')[1]!;
    const publishedSince = (r: ReceivedRequest, since: number) =>
      (JSON.parse(r.body.toString('utf8')) as { dials: { callId: string }[] }).dials.some((d) => (w.ledger.dials.get(d.callId)?.startedAt ?? 0) > since);
    expect(ports).toHaveLength(3);

    const load = startLoad({ ledger: w.ledger, producer: w.producer, companies, perSecond: 50 });
    let killedAt = 0;
    let promotedAt = 0;
    let promotion = { newMasterPort: 0, ms: 0 };
    let servedAt = 0;
    let rejoinedAt = 0;
    try {
      // Deliveries flowing from every master before the kill.
      await waitFor(
        () => w.receiver.requests.length >= 150 && ports.every((port) => w.receiver.requests.some((r) => masterOfShard[w.keys.shardOf(companyOf(r))] === port)),
        20_000,
        'deliveries from every master',
      );

      killedAt = Date.now();
      await w.cluster.kill(victim);
      promotion = await w.cluster.waitForFailover(victim);
      promotedAt = Date.now();
      // The apps find the promoted master by themselves: dials of its shards published after the
      // promotion arrive. (Their publishes reject, since the new master has no replica yet to
      // acknowledge them; the dials are on the master all the same.)
      await waitFor(
        () => w.receiver.requests.some((r) => r.receivedAt > promotedAt && onVictim.has(companyOf(r)) && publishedSince(r, promotedAt)),
        20_000,
        'a dial of the failed-over shards published after the promotion delivered',
      );
      servedAt = Date.now();

      // The old master comes back; it rejoins as a replica of the promoted one, so publishes to its
      // shards can be acknowledged by a replica again.
      await w.cluster.restart(victim);
      await w.cluster.waitUntilHealthy();
      rejoinedAt = Date.now();
      const deliveredSince = (since: number) => w.ledger.ingest(w.receiver.requests).latencies((dial) => onVictim.has(dial.companySlug) && dial.startedAt > since).length;
      await waitFor(() => deliveredSince(rejoinedAt) >= 50, 20_000, 'acknowledged dials of the failed-over shards delivered after the old master rejoined');
    } finally {
      await load.stop();
    }
    const stoppedAt = Date.now();
    await waitFor(() => w.ledger.ingest(w.receiver.requests).allDelivered(), 30_000, 'every acknowledged dial delivered');
    const drainMs = Date.now() - stoppedAt;
    await waitUntilSettled(w);

    const report = w.ledger.reconcile(w.receiver.requests);
    const inFailover = w.receiver.requests.filter((r) => r.receivedAt > killedAt && r.receivedAt < promotedAt);
    const survivorsInFailover = inFailover.filter((r) => !onVictim.has(companyOf(r))).length;
    // Still delivering late in the failover, not just the tail of what was under way at the kill.
    const midway = killedAt + (promotedAt - killedAt) / 2;
    const survivorsLate = inFailover.filter((r) => r.receivedAt > midway && !onVictim.has(companyOf(r))).length;
    const survivorsBefore = w.receiver.requests.filter((r) => r.receivedAt > killedAt - 2_000 && r.receivedAt <= killedAt && !onVictim.has(companyOf(r))).length;
    const perSecond = (n: number, ms: number) => Math.round((n * 1_000) / Math.max(1, ms));
    const resent = w.ledger.resentDeliveries();
    const slowestPublishMs = Math.max(...[...w.ledger.dials.values()].map((d) => d.settledAt! - d.startedAt));
    process.stdout.write(
      `[cluster-failover] killed master :${victim} (${shardsOf(victim)} of ${SHARDS} shards), replica :${promotion.newMasterPort} promoted ${promotedAt - killedAt} ms after the kill ` +
        `(waitForFailover ${promotion.ms} ms); between kill and promotion ${survivorsInFailover} requests for the other masters' companies ` +
        `(${perSecond(survivorsInFailover, promotedAt - killedAt)}/s, ${perSecond(survivorsBefore, 2_000)}/s in the 2 s before; ${survivorsLate} in its second half), ` +
        `${inFailover.length - survivorsInFailover} for the killed one's; ` +
        `its shards delivered a dial published after the promotion ${servedAt - promotedAt} ms after it; old master rejoined as a replica ${rejoinedAt - servedAt} ms after that; last dials delivered ${drainMs} ms after the load stopped; ` +
        `published ${report.published}, acknowledged ${report.enqueued}, rejected ${report.rejected} ${JSON.stringify(rejectionsByKind(w.ledger))} (delivered all the same ${report.rejectedButDelivered}), slowest publish ${slowestPublishMs} ms, ` +
        `delivered ${report.delivered} of ${report.expected}, seen twice under the same deliveryId ${report.resent}${resent.length ? ` (${resent.join('; ')})` : ''}, in two deliveries ${report.duplicateCount}\n` +
        `${formatReconciliation(report)}\n`,
    );

    // No app process exited or was started again: every copy rode out the failover.
    expect(w.fleet.processes()).toHaveLength(APPS.length);
    for (const [label, pid] of pids) expect([label, w.fleet.running(label), w.fleet.get(label).child.pid]).toEqual([label, true, pid]);
    expect(survivorsLate).toBeGreaterThan(0);
    expect(report.enqueued).toBeGreaterThan(300);
    expect(report).toMatchObject({ missingCount: 0, duplicateCount: 0, violationCount: 0, ok: true });
  }, 120_000);
});

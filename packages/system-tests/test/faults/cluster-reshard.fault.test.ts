import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { slotOf } from '@outboundiq/core';
import { formatReconciliation, startLoad, waitFor, type ReceivedRequest } from '@outboundiq/testkit';
import { createDialProducer } from '@outboundiq/webhook-producer';
import { companiesOfShard, companiesOnEveryShard, rejectionsByKind, shardMasters } from '../../src/faults/cluster.js';
import { startTestWorld, type ClusterTestWorld, waitUntilSettled } from '../../src/faults/world.js';

const SHARDS = 16;
const HOT_SHARD = 5;
// Keys of no use put in the hot shard's slot, as a production slot holds thousands (finished jobs,
// streams): MIGRATE then takes long enough for the shard's scripts to meet ASK and TRYAGAIN.
const FILLER_KEYS = 20_000;

// Scenario: Redis Cluster (3 masters + 3 replicas, S = 16), one batcher and one sender as
// processes. While dials flow, the slot of the busiest shard (its hash tag's slot, so its streams,
// scheduler keys and delivery queue) moves to another master the way `redis-cli --cluster reshard`
// moves it: IMPORTING/MIGRATING, MIGRATE in batches, SETSLOT NODE. Meanwhile every multi-key script
// of that shard meets ASK and TRYAGAIN. Two publishers: one waiting for a replica, one not.
// Nothing acknowledged is lost, nothing arrives in two deliveries, the moved shard delivers from
// its new master, and no process exits.
describe('a busy shard\'s slot moved to another master under load', () => {
  let w: ClusterTestWorld;
  let companies: string[];
  let hot: Set<string>;
  beforeAll(async () => {
    w = await startTestWorld({ name: 'cluster-reshard', cluster: { masters: 3, replicasPerMaster: 1 }, shards: SHARDS, producer: { waitForReplicas: 1 } });
    // One company per shard, and three more on the hot one: a quarter of the traffic.
    companies = [...companiesOnEveryShard(w.keys, 'rs', 1), ...companiesOfShard(w.keys, 'rs-hot', HOT_SHARD, 3)];
    hot = new Set(companies.filter((c) => w.keys.shardOf(c) === HOT_SHARD));
    for (const [i, company] of companies.entries()) await w.addWebhooks(company, 1 + (i % 2));
    const filler = `${w.prefix}:{${w.keys.shard(HOT_SHARD).tag}}:filler`;
    for (let n = 0; n < FILLER_KEYS; n += 1_000) {
      await w.redis.mset(Object.fromEntries(Array.from({ length: 1_000 }, (_, i) => [`${filler}:${n + i}`, 'x'])));
    }
    await Promise.all([w.fleet.start('batcher', 'batcher-1'), w.fleet.start('sender', 'sender-1')]);
  }, 60_000);
  afterAll(() => w?.close(), 30_000);

  it('loses nothing, delivers nothing twice, and the moved shard delivers from its new master', async () => {
    const slot = slotOf(w.keys.shard(HOT_SHARD).tag);
    const from = (await shardMasters(w.cluster, w.keys))[HOT_SHARD]!;
    const to = (await w.cluster.masters()).find((m) => m.port !== from)!.port;
    const plain = createDialProducer({ clusterNodes: w.cluster.seeds.split(','), keyPrefix: w.prefix });
    const loads = [
      startLoad({ ledger: w.ledger, producer: w.producer, companies, perSecond: 25 }),
      startLoad({ ledger: w.ledger, producer: plain, companies: [...companies].reverse(), perSecond: 25 }),
    ];
    const hotRequests = () => w.receiver.requests.filter((r: ReceivedRequest) => hot.has(r.path.split('/')[1]!)).length;
    let moveMs = 0;
    let movedAt = 0;
    try {
      await waitFor(() => hotRequests() >= 30, 20_000, 'deliveries of the hot shard before the move');
      const started = Date.now();
      await w.cluster.moveSlot(slot, to);
      movedAt = Date.now();
      moveMs = movedAt - started;
      expect((await w.cluster.masterOfSlot(slot)).port).toBe(to);
      const deliveredSince = (since: number) => w.ledger.ingest(w.receiver.requests).latencies((dial) => hot.has(dial.companySlug) && dial.startedAt > since).length;
      await waitFor(() => deliveredSince(movedAt) >= 30, 20_000, 'dials of the moved shard published after the move delivered');
    } finally {
      await Promise.all(loads.map((load) => load.stop()));
      await plain.close();
    }
    const stoppedAt = Date.now();
    await waitFor(() => w.ledger.ingest(w.receiver.requests).allDelivered(), 30_000, 'every acknowledged dial delivered');
    const drainMs = Date.now() - stoppedAt;
    await waitUntilSettled(w);

    const report = w.ledger.reconcile(w.receiver.requests);
    const resent = w.ledger.resentDeliveries();
    const hotDuringMove = w.ledger.latencies((dial) => hot.has(dial.companySlug) && dial.startedAt > movedAt - moveMs && dial.startedAt <= movedAt);
    process.stdout.write(
      `[cluster-reshard] shard ${HOT_SHARD} (slot ${slot}, ${hot.size} companies, ${FILLER_KEYS} filler keys) moved :${from} -> :${to} in ${moveMs} ms; ` +
        `its dials published during the move delivered ${hotDuringMove.length}, max publish->receipt ${Math.max(0, ...hotDuringMove)} ms; last dials delivered ${drainMs} ms after the load stopped; ` +
        `published ${report.published}, acknowledged ${report.enqueued}, rejected ${report.rejected} ${JSON.stringify(rejectionsByKind(w.ledger))} (delivered all the same ${report.rejectedButDelivered}), ` +
        `delivered ${report.delivered} of ${report.expected}, seen twice under the same deliveryId ${report.resent}${resent.length ? ` (${resent.join('; ')})` : ''}, in two deliveries ${report.duplicateCount}\n` +
        `${formatReconciliation(report)}\n`,
    );

    expect(w.fleet.processes()).toHaveLength(2);
    for (const label of ['batcher-1', 'sender-1']) expect([label, w.fleet.running(label)]).toEqual([label, true]);
    expect(report.enqueued).toBeGreaterThan(150);
    expect(report).toMatchObject({ missingCount: 0, duplicateCount: 0, violationCount: 0, ok: true });
  }, 120_000);
});

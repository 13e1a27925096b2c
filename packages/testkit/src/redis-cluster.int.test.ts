import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Cluster, Redis } from 'ioredis';
import { startRedisCluster, type RedisCluster } from './redis-cluster.js';

// One cluster for the file: the tests run in order and each leaves it healthy for the next.
describe('a local Redis Cluster', () => {
  let cluster: RedisCluster;
  let client: Cluster;

  beforeAll(async () => {
    const started = Date.now();
    cluster = await startRedisCluster();
    process.stdout.write(`redis cluster: started 3 masters + 3 replicas in ${Date.now() - started} ms\n`);
    // Connected before use: until it is ready, ioredis sends CLUSTER commands to any seed, and the
    // connection to a replica seed is closed under them once the slot map arrives.
    client = new Cluster(cluster.seeds.split(','), { scaleReads: 'master', lazyConnect: true });
    client.on('error', () => {});
    client.on('node error', () => {});
    await client.connect();
  });

  afterAll(async () => {
    client?.disconnect();
    await cluster?.stop();
  });

  /** `count` keys sharing one hash tag, and the slot they all hash to. */
  const keysOfOneSlot = async (tag: string, count: number) => ({
    slot: Number(await client.cluster('KEYSLOT', `{${tag}}`)),
    keys: Array.from({ length: count }, (_, i) => `{${tag}}:${i}`),
  });

  it('has 3 masters with one replica each, covering every slot', async () => {
    const nodes = await cluster.nodes();
    const masters = nodes.filter((n) => n.role === 'master');
    const replicas = nodes.filter((n) => n.role === 'replica');
    expect(masters).toHaveLength(3);
    expect(replicas).toHaveLength(3);
    expect(new Set(replicas.map((r) => r.masterId))).toEqual(new Set(masters.map((m) => m.id)));
    expect(cluster.seeds.split(',')).toHaveLength(6);

    const ranges = (await cluster.masters()).flatMap((m) => m.slots).sort((a, b) => a[0] - b[0]);
    let next = 0;
    for (const [from, to] of ranges) {
      expect(from).toBe(next);
      next = to + 1;
    }
    expect(next).toBe(16_384);
  });

  it('moves a slot with its keys to another master while clients write to it', async () => {
    const { slot, keys } = await keysOfOneSlot('move', 500);
    for (const key of keys) await client.set(key, key);
    const source = await cluster.masterOfSlot(slot);
    const target = (await cluster.masters()).find((m) => m.port !== source.port)!;

    let writing = true;
    let during = 0;
    const writer = (async () => {
      for (let i = 0; writing; i++) {
        await client.set(`{move}:live:${i}`, String(i));
        keys.push(`{move}:live:${i}`);
        during++;
      }
    })();
    await cluster.moveSlot(slot, target.port);
    writing = false;
    await writer;

    expect(during).toBeGreaterThan(0);
    expect((await cluster.masterOfSlot(slot)).port).toBe(target.port);
    const values = await Promise.all(keys.map((key) => client.get(key)));
    expect(values.filter((v) => v === null)).toHaveLength(0);
    const direct = new Redis({ port: target.port, host: '127.0.0.1' });
    direct.on('error', () => {});
    try {
      expect(await direct.cluster('COUNTKEYSINSLOT', slot)).toBe(keys.length);
    } finally {
      direct.disconnect();
    }
  });

  it('fails a killed master over to its replica without losing replicated keys, and takes it back as a replica', async () => {
    const { slot, keys } = await keysOfOneSlot('failover', 200);
    const pipeline = client.pipeline();
    for (const key of keys) pipeline.set(key, key);
    pipeline.wait(1, 0);
    const results = await pipeline.exec();
    expect(results?.at(-1)).toEqual([null, 1]);

    const old = await cluster.masterOfSlot(slot);
    await cluster.kill(old.port);
    const { newMasterPort, ms } = await cluster.waitForFailover(old.port);
    process.stdout.write(`redis cluster: master :${old.port} failed over to :${newMasterPort} in ${ms} ms\n`);

    expect((await cluster.masterOfSlot(slot)).port).toBe(newMasterPort);
    expect(await Promise.all(keys.map((key) => client.get(key)))).toEqual(keys);

    await cluster.restart(old.port);
    await cluster.waitUntilHealthy();
    const rejoined = (await cluster.nodes()).find((n) => n.port === old.port);
    expect(rejoined).toMatchObject({ role: 'replica', masterId: (await cluster.masterOfSlot(slot)).id });
  });
});

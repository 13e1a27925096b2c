import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { slotOf } from '@outboundiq/core';
import { Redis } from 'ioredis';
import { dial, enableCompanies, startTarget, storedDials, type Target } from './harness.test-util.js';
import { createDialProducer, PublishManyError, ReplicationError } from './index.js';

describe('waitForReplicas on one Redis with no replica', () => {
  let target: Target;
  beforeAll(async () => {
    target = await startTarget('one Redis (S = 1)', 'replicas');
    await enableCompanies(target, ['acme']);
  });
  afterAll(async () => {
    await target?.stop();
  });

  it('rejects within about timeoutMs, saying the dials reached the primary', async () => {
    const producer = createDialProducer({ ...target.connection, keyPrefix: target.keys.prefix, waitForReplicas: 1, timeoutMs: 1_000 });
    try {
      const started = Date.now();
      const attempt = producer.publish(dial());
      await expect(attempt).rejects.toBeInstanceOf(ReplicationError);
      await expect(attempt).rejects.toThrow(/reached the Redis primary, but only 0 of 1 replicas acknowledged them within \d+ ms.*idempotencyKey/);
      expect(Date.now() - started).toBeGreaterThan(500);
      expect(Date.now() - started).toBeLessThan(2_500);
      expect(await target.admin.xlen(target.keys.dials('acme'))).toBe(1);

      // A company with no webhook wrote nothing, so there is nothing for a replica to acknowledge.
      await expect(producer.publish(dial({ companySlug: 'nobody' }))).resolves.toEqual({ enqueued: false, reason: 'no-enabled-webhook' });

      const many = producer.publishMany([dial({ callId: 'm1' }), dial({ callId: 'm2' }), dial({ companySlug: 'nobody' })]);
      await expect(many).rejects.toBeInstanceOf(PublishManyError);
      await expect(many).rejects.toMatchObject({ enqueued: 2, skipped: 1, failedShards: 1 });
      await expect(many).rejects.toThrow(/1 of 1 shards failed; 2 dials went in and 1 were skipped.*reached the Redis primary/);
    } finally {
      await producer.close();
    }
  });
});

describe('waitForReplicas on one Redis with no replica, many calls at once', () => {
  let target: Target;
  beforeAll(async () => {
    target = await startTarget('one Redis (S = 1)', 'replicas-many');
    await enableCompanies(target, ['acme']);
  });
  afterAll(async () => {
    await target?.stop();
  });

  it('rejects each with ReplicationError within about timeoutMs, every dial in at once: WAITs do not queue behind each other', async () => {
    const producer = createDialProducer({ ...target.connection, keyPrefix: target.keys.prefix, waitForReplicas: 1, timeoutMs: 1_000 });
    try {
      const started = Date.now();
      const calls = Array.from({ length: 20 }, (_, i) => producer.publish(dial({ callId: `c${i}` })).catch((err: unknown) => err));
      const outcomes = await Promise.all(calls);
      const elapsed = Date.now() - started;
      // One WAIT per connection at a time: a call waits for the one in flight, then its own; never for
      // a queue of WAITs, each blocking the connection for its whole timeout.
      expect(outcomes.every((err) => err instanceof ReplicationError)).toBe(true);
      expect(elapsed).toBeLessThan(2_500);
      expect(await target.admin.xlen(target.keys.dials('acme'))).toBe(20);
    } finally {
      await producer.close();
    }
  });
});

describe('waitForReplicas on a Redis Cluster (S = 4)', () => {
  let target: Target;
  beforeAll(async () => {
    target = await startTarget('Redis Cluster (S = 4)', 'replicas');
  }, 60_000);
  afterAll(async () => {
    await target?.stop();
  });

  it('resolves once a replica holds the dials, for publish and publishMany', async () => {
    const { keys, cluster } = target;
    const companies = Array.from({ length: 12 }, (_, i) => `rep-${i}`);
    await enableCompanies(target, companies);
    const producer = createDialProducer({ ...target.connection, keyPrefix: keys.prefix, waitForReplicas: 1 });
    try {
      await expect(producer.publish(dial({ companySlug: 'rep-0', callId: 'one' }))).resolves.toEqual({ enqueued: true });
      const many = companies.map((c) => dial({ companySlug: c, callId: `many-${c}` }));
      await expect(producer.publishMany(many)).resolves.toEqual({ enqueued: companies.length, skipped: 0 });
    } finally {
      await producer.close();
    }
    // Read each stream on the replica of its shard's master: WAIT 1 means it is there already.
    const nodes = await cluster!.nodes();
    for (const company of companies) {
      const master = await cluster!.masterOfSlot(slotOf(keys.dials(company)));
      const replica = nodes.find((n) => n.masterId === master.id)!;
      const reader = new Redis({ port: replica.port, host: replica.host, lazyConnect: true });
      reader.on('error', () => {});
      try {
        await reader.connect();
        await reader.readonly();
        const ids = (await storedDials(reader, keys, company)).map((d) => d.callId);
        expect(ids).toEqual(company === 'rep-0' ? ['one', 'many-rep-0'] : [`many-${company}`]);
      } finally {
        await reader.quit();
      }
    }
  });

  it('follows a slot moved to another master (MOVED) instead of rejecting, for publish and publishMany', async () => {
    const { keys, cluster } = target;
    await enableCompanies(target, ['moving']);
    const producer = createDialProducer({ ...target.connection, keyPrefix: keys.prefix, waitForReplicas: 1 });
    try {
      // The producer learns the slot map, then the shard's slot goes to another master behind its back.
      await expect(producer.publish(dial({ companySlug: 'moving', callId: 'before' }))).resolves.toEqual({ enqueued: true });
      const slot = slotOf(keys.dials('moving'));
      const from = await cluster!.masterOfSlot(slot);
      const to = (await cluster!.masters()).find((m) => m.port !== from.port)!;
      await cluster!.moveSlot(slot, to.port);
      await expect(producer.publish(dial({ companySlug: 'moving', callId: 'after' }))).resolves.toEqual({ enqueued: true });
      await expect(producer.publishMany([dial({ companySlug: 'moving', callId: 'many' })])).resolves.toEqual({ enqueued: 1, skipped: 0 });
    } finally {
      await producer.close();
    }
    expect((await storedDials(target.admin, keys, 'moving')).map((d) => d.callId)).toEqual(['before', 'after', 'many']);
  });

  // Last: it kills a master of the shared cluster of this block.
  it('settles every call within about timeoutMs when the master dies mid-call', async () => {
    const { keys, cluster } = target;
    await enableCompanies(target, ['doomed']);
    const producer = createDialProducer({ ...target.connection, keyPrefix: keys.prefix, waitForReplicas: 1, timeoutMs: 1_000 });
    try {
      await expect(producer.publish(dial({ companySlug: 'doomed', callId: 'warm' }))).resolves.toEqual({ enqueued: true });
      await cluster!.kill((await cluster!.masterOfSlot(slotOf(keys.dials('doomed')))).port);
      const started = Date.now();
      const settled = await Promise.all(
        Array.from({ length: 10 }, (_, i) => producer.publish(dial({ companySlug: 'doomed', callId: `c${i}` })).then(() => Date.now() - started, () => Date.now() - started)),
      );
      // ioredis alone keeps a pipeline whose connection closed until the cluster has a new master.
      expect(Math.max(...settled)).toBeLessThan(2_000);
    } finally {
      await producer.close();
    }
  });
});

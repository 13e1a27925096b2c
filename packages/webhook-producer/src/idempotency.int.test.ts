import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createKeys, createRedisClient, ensureLayout, slotOf } from '@outboundiq/core';
import { startRedisServer, uniquePrefix, waitFor } from '@outboundiq/testkit';
import { Redis } from 'ioredis';
import { TARGETS, dial, enableCompanies, startTarget, storedDials, type Target } from './harness.test-util.js';
import { createDialProducer, IdempotencyConflictError, PublishManyError, type DialProducer, type PublishManyResult } from './index.js';

const DAY_MS = 24 * 60 * 60 * 1000;

describe.each(TARGETS)('idempotencyKey on %s', (kind) => {
  let target: Target;
  let producer: DialProducer;
  const published: PublishManyResult[] = [];
  // Spread over every shard, plus a company with no webhook.
  const companies = Array.from({ length: 12 }, (_, i) => `idem-${i}`);
  let n = 0;
  /** Fresh dials (callIds unique to the call) over every company and one with no webhook. */
  const spread = () => {
    const call = n++;
    return [...companies.flatMap((c) => [0, 1].map((i) => dial({ companySlug: c, callId: `${call}/${c}/${i}` }))), dial({ companySlug: 'nobody', callId: `${call}/nobody` })];
  };
  /** Each company's callIds of one call, from the streams. */
  const inStreams = async (call: string) => {
    const found = new Map<string, string[]>();
    for (const c of companies) found.set(c, (await storedDials(target.admin, target.keys, c)).map((d) => String(d.callId)).filter((id) => id.startsWith(`${call}/`)));
    return found;
  };
  const once = (call: string) => new Map(companies.map((c) => [c, [`${call}/${c}/0`, `${call}/${c}/1`]]));

  beforeAll(async () => {
    target = await startTarget(kind, 'idempotency');
    await enableCompanies(target, companies);
    expect(new Set(companies.map((c) => target.keys.shardOf(c))).size).toBe(target.keys.shards);
    producer = createDialProducer({ ...target.connection, keyPrefix: target.keys.prefix, onPublish: (counts) => published.push(counts) });
  }, 60_000);
  afterAll(async () => {
    await producer?.close();
    await target?.stop();
  });

  it('two identical publishMany calls racing append once, and both resolve with the same result', async () => {
    const other = createDialProducer({ ...target.connection, keyPrefix: target.keys.prefix });
    try {
      const dials = spread();
      const call = String(n - 1);
      const results = await Promise.all([producer, other, producer, other].map((p) => p.publishMany(dials, { idempotencyKey: 'race:1' })));
      expect(results).toEqual(Array(4).fill({ enqueued: 24, skipped: 1 }));
      expect(await inStreams(call)).toEqual(once(call));
    } finally {
      await other.close();
    }
  });

  it('a repeat appends nothing, resolves with the first result, and tells onPublish nothing went in', async () => {
    const dials = spread();
    const call = String(n - 1);
    await expect(producer.publishMany(dials, { idempotencyKey: 'repeat:1' })).resolves.toEqual({ enqueued: 24, skipped: 1 });
    published.length = 0;
    await expect(producer.publishMany(dials, { idempotencyKey: 'repeat:1' })).resolves.toEqual({ enqueued: 24, skipped: 1 });
    expect(published).toEqual([{ enqueued: 0, skipped: 0 }]);
    expect(await inStreams(call)).toEqual(once(call));
    // Without a key, the same dials are appended again, as before.
    await expect(producer.publishMany(dials)).resolves.toEqual({ enqueued: 24, skipped: 1 });
    expect((await inStreams(call)).get('idem-0')).toEqual([`${call}/idem-0/0`, `${call}/idem-0/1`, `${call}/idem-0/0`, `${call}/idem-0/1`]);
  });

  it('publish: a repeat appends nothing and resolves as the first did, skipped included', async () => {
    const one = dial({ companySlug: 'idem-3', callId: 'single' });
    await expect(producer.publish(one, { idempotencyKey: 'call-9f3a' })).resolves.toEqual({ enqueued: true });
    await expect(producer.publish(one, { idempotencyKey: 'call-9f3a' })).resolves.toEqual({ enqueued: true });
    expect((await storedDials(target.admin, target.keys, 'idem-3')).filter((d) => d.callId === 'single')).toHaveLength(1);
    const nobody = dial({ companySlug: 'nobody' });
    await expect(producer.publish(nobody, { idempotencyKey: 'call-nobody' })).resolves.toEqual({ enqueued: false, reason: 'no-enabled-webhook' });
    await expect(producer.publish(nobody, { idempotencyKey: 'call-nobody' })).resolves.toEqual({ enqueued: false, reason: 'no-enabled-webhook' });
  });

  it('keeps the record in the shard for 24 hours, then lets it expire', async () => {
    const company = 'idem-5';
    await producer.publish(dial({ companySlug: company, callId: 'ttl' }), { idempotencyKey: 'ttl:1' });
    const record = target.keys.shardOfCompany(company).idempotency('ttl:1');
    const ttl = await target.admin.pttl(record);
    expect(ttl).toBeGreaterThan(DAY_MS - 60_000);
    expect(ttl).toBeLessThanOrEqual(DAY_MS);
    // Every other shard's record of the key does not exist: a call keeps one per shard it touched.
    for (const shard of target.keys.allShards()) if (shard.shard !== target.keys.shardOf(company)) expect(await target.admin.exists(shard.idempotency('ttl:1'))).toBe(0);
  });

  it('refuses the same key with other dials, naming the key, and appends none of them', async () => {
    const first = spread();
    await producer.publishMany(first, { idempotencyKey: 'reused' });
    const changed = first.map((d) => (d.companySlug === 'idem-0' ? { ...d, callId: `changed/${String(d.callId)}` } : d));
    const attempt = producer.publishMany(changed, { idempotencyKey: 'reused' });
    await expect(attempt).rejects.toBeInstanceOf(PublishManyError);
    await expect(attempt).rejects.toMatchObject({ failedShards: 1 });
    const err = (await attempt.catch((e: unknown) => e)) as PublishManyError;
    expect(err.errors[0]).toBeInstanceOf(IdempotencyConflictError);
    expect(err.message).toMatch(/idempotencyKey "reused" was used within the last 24 hours with other dials/);
    const single = producer.publish(dial({ companySlug: 'idem-0', callId: 'changed/single' }), { idempotencyKey: 'reused' });
    await expect(single).rejects.toBeInstanceOf(IdempotencyConflictError);
    expect((await storedDials(target.admin, target.keys, 'idem-0')).filter((d) => String(d.callId).startsWith('changed/'))).toEqual([]);
  });

  it.each([
    ['empty', ''],
    ['201 characters', 'k'.repeat(201)],
    ['not ASCII', 'job-é'],
    ['a control character', 'job\n1'],
    ['a number', 42],
    ['null', null],
  ])('rejects an idempotencyKey that is %s with a TypeError naming it, and appends nothing', async (_, key) => {
    const before = await target.admin.xlen(target.keys.dials('idem-1'));
    const options = { idempotencyKey: key } as unknown as { idempotencyKey: string };
    await expect(producer.publish(dial({ companySlug: 'idem-1' }), options)).rejects.toThrow(TypeError);
    await expect(producer.publish(dial({ companySlug: 'idem-1' }), options)).rejects.toThrow(/\bidempotencyKey\b/);
    await expect(producer.publishMany([dial({ companySlug: 'idem-1' })], options)).rejects.toThrow(/publishMany: idempotencyKey must be/);
    expect(await target.admin.xlen(target.keys.dials('idem-1'))).toBe(before);
  });

  it('takes any key of 1 to 200 printable ASCII characters', async () => {
    for (const key of [' ', '~', 'k'.repeat(200), '{s0-1}:a b/c?*[]"\\']) {
      await expect(producer.publish(dial({ companySlug: 'idem-2', callId: `key ${key}` }), { idempotencyKey: key })).resolves.toEqual({ enqueued: true });
    }
    await expect(producer.publish(dial({ companySlug: 'idem-2' }), 'key' as unknown as { idempotencyKey: string })).rejects.toThrow(/publish: options must be an object/);
  });

  if (kind === 'Redis Cluster (S = 4)') {
    /** A direct connection to the master of a company's shard, and the companies of every shard it serves. */
    const breakable = async (company: string) => {
      const master = await target.cluster!.masterOfSlot(slotOf(target.keys.dials(company)));
      const node = new Redis({ host: master.host, port: master.port, lazyConnect: true });
      node.on('error', () => {});
      await node.connect();
      const isOn = (c: string) => master.slots.some(([from, to]) => slotOf(target.keys.dials(c)) >= from && slotOf(target.keys.dials(c)) <= to);
      return { node, onIt: companies.filter(isOn), nobodyOnIt: isOn('nobody') };
    };

    it('a shard that failed: the error says how many went in, and a retry with the same key adds only what is missing', async () => {
      const dials = spread();
      const call = String(n - 1);
      const { node, onIt, nobodyOnIt } = await breakable('idem-0');
      const failedShards = new Set(onIt.map((c) => target.keys.shardOf(c))).size;
      try {
        // Redis refuses the first write of a script over maxmemory: that master's shards take nothing.
        await node.config('SET', 'maxmemory', '1');
        const attempt = producer.publishMany(dials, { idempotencyKey: 'cleaning-job-8812:part-3' });
        await expect(attempt).rejects.toBeInstanceOf(PublishManyError);
        await expect(attempt).rejects.toMatchObject({ enqueued: 24 - 2 * onIt.length, failedShards, shards: 4 });
        await expect(attempt).rejects.toThrow(/OOM/);
      } finally {
        await node.config('SET', 'maxmemory', '0');
        node.disconnect();
      }
      const half = await inStreams(call);
      for (const c of companies) expect(half.get(c)).toEqual(onIt.includes(c) ? [] : once(call).get(c));

      published.length = 0;
      await expect(producer.publishMany(dials, { idempotencyKey: 'cleaning-job-8812:part-3' })).resolves.toEqual({ enqueued: 24, skipped: 1 });
      expect(published).toEqual([{ enqueued: 2 * onIt.length, skipped: nobodyOnIt ? 1 : 0 }]);
      expect(await inStreams(call)).toEqual(once(call));
    });

    it('a shard whose reply was lost (its master paused past the timeout): a retry with the same key adds nothing again', async () => {
      const own = createDialProducer({ ...target.connection, keyPrefix: target.keys.prefix, timeoutMs: 300 });
      const dials = spread();
      const call = String(n - 1);
      const { node, onIt } = await breakable('idem-1');
      try {
        await own.publishMany(spread(), { idempotencyKey: 'warm-up' });
        await node.call('CLIENT', 'PAUSE', '1500', 'WRITE');
        const attempt = own.publishMany(dials, { idempotencyKey: 'lost-reply' });
        await expect(attempt).rejects.toBeInstanceOf(PublishManyError);
        await expect(attempt).rejects.toThrow(/Command timed out/);
        // The call was not lost, only its reply: once the master resumes, its shards' dials are in.
        await waitFor(async () => (await inStreams(call)).get(onIt[0]!)!.length > 0, 10_000, 'the paused shard to run the call');
        expect(await inStreams(call)).toEqual(once(call));
        await expect(own.publishMany(dials, { idempotencyKey: 'lost-reply' })).resolves.toEqual({ enqueued: 24, skipped: 1 });
        expect(await inStreams(call)).toEqual(once(call));
      } finally {
        await node.call('CLIENT', 'UNPAUSE').catch(() => {});
        node.disconnect();
        await own.close();
      }
    });
  }
});

describe('idempotencyKey and a call whose reply is lost on one Redis', () => {
  it('the call timed out but ran: a retry with the same key appends nothing again and resolves with its result', async () => {
    const server = await startRedisServer();
    const keys = createKeys(uniquePrefix('idem-timeout'));
    const admin = createRedisClient({ url: server.url, role: 'worker', name: 'idem-timeout' });
    const producer = createDialProducer({ redisUrl: server.url, keyPrefix: keys.prefix, timeoutMs: 300 });
    try {
      await ensureLayout(admin, keys);
      await enableCompanies({ admin, keys }, ['acme', 'other']);
      const dials = [dial({ callId: 'a1' }), dial({ callId: 'a2' }), dial({ companySlug: 'other', callId: 'o1' }), dial({ companySlug: 'nobody' })];
      await expect(producer.publish(dial({ callId: 'warm' }))).resolves.toEqual({ enqueued: true });
      // Redis holds every write for longer than the producer waits: the reply comes too late.
      await admin.call('CLIENT', 'PAUSE', '1500', 'WRITE');
      await expect(producer.publishMany(dials, { idempotencyKey: 'cleaning-job-1:part-1' })).rejects.toThrow(/Command timed out/);
      await waitFor(async () => (await admin.xlen(keys.dials('other'))) > 0, 10_000, 'the paused call to run');
      const ids = async (company: string) => (await storedDials(admin, keys, company)).map((d) => d.callId);
      expect(await ids('acme')).toEqual(['warm', 'a1', 'a2']);

      await expect(producer.publishMany(dials, { idempotencyKey: 'cleaning-job-1:part-1' })).resolves.toEqual({ enqueued: 3, skipped: 1 });
      expect(await ids('acme')).toEqual(['warm', 'a1', 'a2']);
      expect(await ids('other')).toEqual(['o1']);
    } finally {
      await producer.close();
      admin.disconnect();
      await server.stop();
    }
  });
});

describe('idempotencyKey with waitForReplicas on one Redis with no replica', () => {
  let target: Target;
  beforeAll(async () => {
    target = await startTarget('one Redis (S = 1)', 'idem-replicas');
    await enableCompanies(target, ['acme']);
  });
  afterAll(async () => {
    await target?.stop();
  });

  it('a retry appends nothing again, and still says the replicas do not hold the dials', async () => {
    const producer = createDialProducer({ ...target.connection, keyPrefix: target.keys.prefix, waitForReplicas: 1, timeoutMs: 500 });
    try {
      const dials = [dial({ callId: 'r1' }), dial({ callId: 'r2' }), dial({ companySlug: 'nobody' })];
      for (let attempt = 0; attempt < 2; attempt++) {
        const call = producer.publishMany(dials, { idempotencyKey: 'replicated:1' });
        await expect(call).rejects.toMatchObject({ enqueued: 2, skipped: 1, failedShards: 1 });
        await expect(call).rejects.toThrow(/reached the Redis primary, but only 0 of 1 replicas/);
      }
      expect((await storedDials(target.admin, target.keys, 'acme')).map((d) => d.callId)).toEqual(['r1', 'r2']);
    } finally {
      await producer.close();
    }
  });
});

describe('idempotencyKey and a script Redis stops part-way, on one Redis', () => {
  let target: Target;
  beforeAll(async () => {
    target = await startTarget('one Redis (S = 1)', 'idem-partway');
    await enableCompanies(target, ['first', 'broken', 'last']);
  });
  afterAll(async () => {
    await target?.stop();
  });

  it('the error counts what went in, and a retry with the same key appends from where it stopped', async () => {
    const { admin, keys } = target;
    const producer = createDialProducer({ ...target.connection, keyPrefix: keys.prefix });
    try {
      // A key of the wrong type makes XADD fail for that company, after the one before it went in.
      await admin.set(keys.dials('broken'), 'not a stream');
      const dials = ['first', 'broken', 'last'].flatMap((c) => [dial({ companySlug: c, callId: `${c}-1` }), dial({ companySlug: c, callId: `${c}-2` })]);
      const attempt = producer.publishMany(dials, { idempotencyKey: 'part-way' });
      await expect(attempt).rejects.toMatchObject({ enqueued: 2, skipped: 0, failedShards: 1 });
      await expect(attempt).rejects.toThrow(/WRONGTYPE/);
      expect(await admin.exists(keys.dials('last'))).toBe(0);

      await admin.del(keys.dials('broken'));
      await expect(producer.publishMany(dials, { idempotencyKey: 'part-way' })).resolves.toEqual({ enqueued: 6, skipped: 0 });
      for (const c of ['first', 'broken', 'last']) expect((await storedDials(admin, keys, c)).map((d) => d.callId)).toEqual([`${c}-1`, `${c}-2`]);
    } finally {
      await producer.close();
    }
  });
});

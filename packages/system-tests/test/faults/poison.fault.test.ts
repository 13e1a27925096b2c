import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { faultDial, formatReconciliation, publishDials, waitFor } from '@outboundiq/testkit';
import { startTestWorld, type TestWorld } from '../../src/faults/world.js';

// Scenario 8: entries nobody published through the producer (XADD by hand) must be set aside for
// operators, with their id, reason and raw text, and never hold up the company's real dials.
describe('poison entries in a company stream', () => {
  let w: TestWorld;
  beforeAll(async () => {
    w = await startTestWorld({ name: 'poison' });
    await w.fleet.start('batcher', 'batcher-1');
    await w.fleet.start('sender', 'sender-1');
  }, 60_000);
  afterAll(() => w?.close(), 30_000);

  it('are dead-lettered with id, reason and raw text; the dials around them are delivered', async () => {
    await w.addWebhooks('acme', 2);
    await w.addWebhooks('rival', 1);
    const stream = w.keys.dials('acme');
    const foreign = faultDial('rival', 'foreign-dial-1');
    const poison: [string, string][] = [
      ['d', 'not json {'],
      ['d', '{"json":"but not a list of dials"}'],
      ['d', JSON.stringify([{ callId: 'bogus', hello: 'world' }])],
      ['d', JSON.stringify([foreign])],
      ['x', 'no dials field at all'],
    ];

    const before = publishDials(w.ledger, w.producer, 'acme', 20, 'before');
    const ids: string[] = [];
    for (const [field, value] of poison) ids.push((await w.redis.xadd(stream, '*', field, value, 't', String(Date.now())))!);
    await before;
    await publishDials(w.ledger, w.producer, 'acme', 20, 'after');
    await publishDials(w.ledger, w.producer, 'rival', 5, 'rival');

    await waitFor(() => w.ledger.ingest(w.receiver.requests).allDelivered(), 20_000, 'every real dial delivered');
    const dead = w.keys.deadLetters('acme');
    await waitFor(async () => (await w.redis.xlen(dead)) >= poison.length, 10_000, 'the dead-letter entries');

    const letters = (await w.redis.xrange(dead, '-', '+')).map(([, fields]) => {
      const f: Record<string, string> = {};
      for (let i = 0; i < fields.length; i += 2) f[fields[i]!] = fields[i + 1]!;
      return f;
    });
    expect(letters).toHaveLength(poison.length);
    expect(letters.map((l) => l.entryId)).toEqual(ids);
    for (const letter of letters) {
      expect(letter.reason).toEqual(expect.any(String));
      expect(letter.reason!.length).toBeGreaterThan(5);
      expect(letter.at).toEqual(expect.any(String));
    }
    expect(letters[0]!.raw).toBe('not json {');
    expect(letters[1]!.raw).toBe('{"json":"but not a list of dials"}');
    expect(letters[3]!.reason).toMatch(/rival/);
    expect(JSON.parse(letters[3]!.raw!)).toEqual(foreign);
    expect(letters[4]!.raw).toContain('no dials field at all');

    // The foreign dial went nowhere, and nothing is left in the stream or pending.
    expect(w.receiver.requests.some((r) => r.body.includes('foreign-dial-1'))).toBe(false);
    expect(await w.pendingEntries()).toBe(0);
    await waitFor(async () => (await w.redis.xlen(stream)) === 0, 5_000, 'the stream emptied');

    const report = w.ledger.reconcile(w.receiver.requests);
    process.stdout.write(`[poison] ${formatReconciliation(report)}\n`);
    expect(report).toMatchObject({ enqueued: 45, missingCount: 0, duplicateCount: 0, violationCount: 0, ok: true });
  }, 60_000);
});

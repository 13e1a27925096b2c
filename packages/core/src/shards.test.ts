import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { CLUSTER_SLOTS, MAX_SHARDS, createKeys, shardOf, shardTag, slotOf } from './index.js';

const slug = fc.stringMatching(/^[A-Za-z0-9._-]{1,128}$/);
const shards = fc.integer({ min: 1, max: MAX_SHARDS });

/** The slot ranges `redis-cli --cluster create` gives M masters. */
function masterRanges(masters: number): [number, number][] {
  const per = CLUSTER_SLOTS / masters;
  return Array.from({ length: masters }, (_, m) => [Math.round(m * per), Math.round((m + 1) * per) - 1]);
}

describe('shards', () => {
  it('puts every key of a company, and its shard\'s indexes and queue, in one slot, for any slug and any S', () => {
    fc.assert(
      fc.property(slug, shards, (company, s) => {
        const keys = createKeys('oiq', s);
        const shard = keys.shardOfCompany(company);
        const bull = shard.bullPrefix();
        const slots = new Set(
          [
            keys.dials(company), keys.deadLetters(company), keys.webhooks(company),
            shard.enabledCompanies(), shard.ready(), shard.leases(), shard.owners(),
            `${bull}:deliveries:wait`, `${bull}:deliveries:id`, `${bull}:deliveries:0f8e-job`,
          ].map(slotOf),
        );
        expect(slots.size).toBe(1);
        expect(shard.shard).toBe(shardOf(company, s));
      }),
    );
  });

  it('is pinned: the same slug gives the same shard and tag in every build (part of the key layout)', () => {
    // Changing the hash or the tag search moves every key: that is a new KEY_LAYOUT_VERSION.
    expect([shardOf('acme', 16), shardOf('demo-company', 16), shardOf('a', 4), shardOf('acme', 1)]).toEqual([15, 8, 0, 0]);
    expect([shardTag(0, 1), shardTag(5, 16)]).toEqual(['s0-0', 's5-158']);
    expect(slotOf('oiq:{s5-158}:sched:ready')).toBe(5539);
  });

  it('spreads the shards\' slots evenly: each of M masters holds S/M shards, give or take one', () => {
    for (const s of [3, 4, 8, 16, 32, 64, 256]) {
      for (const masters of [1, 2, 3, 4, 5, 6]) {
        if (masters > s) continue;
        const counts = masterRanges(masters).map(([lo, hi]) => {
          let n = 0;
          for (let k = 0; k < s; k++) {
            const slot = slotOf(shardTag(k, s));
            if (slot >= lo && slot <= hi) n++;
          }
          return n;
        });
        expect(counts.reduce((a, b) => a + b, 0)).toBe(s);
        expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
      }
    }
  });

  it('spreads companies over the shards', () => {
    const counts = new Array<number>(16).fill(0);
    for (let i = 0; i < 16_000; i++) counts[shardOf(`company-${i}`, 16)]! += 1;
    for (const n of counts) expect(n).toBeGreaterThan(800);
  });

  it('refuses a shard count out of range', () => {
    expect(() => createKeys('oiq', 0)).toThrow(/shards/);
    expect(() => createKeys('oiq', MAX_SHARDS + 1)).toThrow(/shards/);
    expect(() => createKeys('oiq', 1.5)).toThrow(/shards/);
  });
});

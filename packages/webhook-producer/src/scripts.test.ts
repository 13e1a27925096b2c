import { describe, expect, it } from '@jest/globals';
import { MAX_SHARDS, createKeys, slotOf, type Keys } from '@outboundiq/core';
import fc from 'fast-check';
import { fingerprintOf } from './idempotency.js';
import { publishShardArgs, type ShardCall } from './scripts.js';

const slug = fc.stringMatching(/^[A-Za-z0-9._-]{1,128}$/);
const idempotencyKey = fc.stringMatching(/^[\x20-\x7e]{1,200}$/);

/** A shard's call for these companies (all of one shard), one append each. */
function callOf(keys: Keys, shard: number, companies: readonly string[], key?: string): ShardCall {
  const appends = companies.map((company) => ({ company, stream: keys.dials(company), dialsJson: '[]', dials: 1 }));
  return {
    shard: keys.shard(shard),
    appends,
    ...(key === undefined ? {} : { idempotency: { key: keys.shard(shard).idempotency(key), fingerprint: fingerprintOf(appends) } }),
  };
}

/** The script's KEYS, from the numkeys that starts its arguments. */
const keysOf = (args: readonly string[]) => args.slice(1, 1 + Number(args[0]));

describe('the publish script', () => {
  it('keys one slot for any company, any shard count and any idempotency key', () => {
    fc.assert(
      fc.property(slug, fc.integer({ min: 1, max: 64 }), fc.constantFrom('oiq', 'test-x.1'), fc.option(idempotencyKey, { nil: undefined }), (company, shards, prefix, key) => {
        const keys = createKeys(prefix, shards);
        const shard = keys.shardOf(company);
        const args = publishShardArgs(keys, callOf(keys, shard, [company], key), 0);
        const slots = new Set(keysOf(args).map(slotOf));
        expect(slots).toEqual(new Set([slotOf(`{${keys.shardOfCompany(company).tag}}`)]));
        // The stream is the company's own, and the shard number it wakes is the company's shard.
        expect(keysOf(args)[4]).toBe(keys.dials(company));
        expect(args[1 + 5 + 2]).toBe(String(shard));
        expect(args.slice(-2)).toEqual([company, '[]']);
      }),
      { numRuns: 2_000 },
    );
  });

  it('keys one slot per shard: a shard call for all its companies stays in the shard\'s slot', () => {
    fc.assert(
      fc.property(fc.array(slug, { minLength: 2, maxLength: 50 }), fc.integer({ min: 1, max: MAX_SHARDS }), idempotencyKey, (companies, shards, key) => {
        const keys = createKeys('oiq', shards);
        const byShard = new Map<number, string[]>();
        for (const company of companies) byShard.set(keys.shardOf(company), [...(byShard.get(keys.shardOf(company)) ?? []), company]);
        for (const [shard, members] of byShard) {
          const args = publishShardArgs(keys, callOf(keys, shard, members, key), 0);
          expect(new Set(keysOf(args).map(slotOf)).size).toBe(1);
          expect(keysOf(args)).toHaveLength(4 + members.length);
        }
      }),
    );
  });

  it('fingerprints a shard\'s dials: the same dials alike, any change apart', () => {
    const append = (company: string, dialsJson: string) => ({ company, stream: '', dialsJson, dials: 1 });
    const first = fingerprintOf([append('a', '[1]'), append('b', '[2]')]);
    expect(fingerprintOf([append('a', '[1]'), append('b', '[2]')])).toBe(first);
    expect(fingerprintOf([append('a', '[1]'), append('b', '[3]')])).not.toBe(first);
    expect(fingerprintOf([append('b', '[2]'), append('a', '[1]')])).not.toBe(first);
  });
});

import { describe, expect, it } from '@jest/globals';
import { MAX_SHARDS, createKeys, slotOf } from '@outboundiq/core';
import fc from 'fast-check';
import { PUBLISH_KEY_COUNT, publishScriptArgs } from './scripts.js';

const slug = fc.stringMatching(/^[A-Za-z0-9._-]{1,128}$/);

describe('the publish script', () => {
  it('keys one slot for any company and any shard count', () => {
    fc.assert(
      fc.property(slug, fc.integer({ min: 1, max: 64 }), fc.constantFrom('oiq', 'test-x.1'), (company, shards, prefix) => {
        const keys = createKeys(prefix, shards);
        const args = publishScriptArgs(keys, company, '[]', 0);
        const slots = new Set(args.slice(0, PUBLISH_KEY_COUNT).map(slotOf));
        expect(slots).toEqual(new Set([slotOf(`{${keys.shardOfCompany(company).tag}}`)]));
        // The stream is the company's own, and the shard number it wakes is the company's shard.
        expect(args[2]).toBe(keys.dials(company));
        expect(args[PUBLISH_KEY_COUNT + 4]).toBe(String(keys.shardOf(company)));
      }),
      { numRuns: 2_000 },
    );
  });

  it('keys one slot per shard: every company of a shard shares its slot, so a shard MULTI does too', () => {
    fc.assert(
      fc.property(fc.array(slug, { minLength: 2, maxLength: 50 }), fc.integer({ min: 1, max: MAX_SHARDS }), (companies, shards) => {
        const keys = createKeys('oiq', shards);
        const slotsByShard = new Map<number, Set<number>>();
        for (const company of companies) {
          const slots = slotsByShard.get(keys.shardOf(company)) ?? new Set<number>();
          slotsByShard.set(keys.shardOf(company), slots);
          for (const key of publishScriptArgs(keys, company, '[]', 0).slice(0, PUBLISH_KEY_COUNT)) slots.add(slotOf(key));
        }
        for (const slots of slotsByShard.values()) expect(slots.size).toBe(1);
      }),
    );
  });
});

import { describe, expect, it } from '@jest/globals';
import { packEntries, type StreamEntry } from './packing.js';

const dial = (company: string, n: number) => ({
  companySlug: company, callId: `C${n}`, callDirection: 'outbound', timestamp: '2026-04-10T18:32:15.000Z',
  ani: null, phone: '5559876543', campaign: null, campaignInternalId: null, agent: null, disposition: null,
  dispositionId: null, contact: true, success: false, isSystemDispo: false, totalDialAttempts: null,
});
const entry = (id: string, dials: unknown[], t = 1000): StreamEntry => ({ id, fields: ['d', JSON.stringify(dials), 't', String(t)] });
const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => dial('acme', from + i));

describe('packEntries', () => {
  it('packs whole entries in stream order into batches of at most the limit', () => {
    const entries = [entry('1-0', range(0, 60)), entry('2-0', range(60, 30)), entry('3-0', range(90, 20)), entry('4-0', range(110, 1), 900)];
    const { batches, poison } = packEntries('acme', entries, 100);
    expect(poison).toEqual([]);
    expect(batches.map((b) => b.count)).toEqual([90, 21]);
    expect(batches.map((b) => [b.firstKey, b.lastKey])).toEqual([['1-0/0', '2-0/0'], ['3-0/0', '4-0/0']]);
    expect(batches[1]!.firstPublishedAt).toBe(900);
    expect(JSON.parse(batches[0]!.dialsJson)).toEqual(range(0, 90));
  });

  it('is deterministic: the same entries give the same batches', () => {
    const entries = Array.from({ length: 40 }, (_, i) => entry(`${i + 1}-0`, range(i * 7, 7)));
    expect(packEntries('acme', entries, 100)).toEqual(packEntries('acme', entries, 100));
  });

  it('splits an oversized entry and sets poison aside without losing the good dials', () => {
    const entries = [
      entry('1-0', range(0, 150)),
      { id: '2-0', fields: ['d', 'not json', 't', '1'] },
      { id: '3-0', fields: ['x', 'y'] },
      entry('4-0', [dial('acme', 200), { ...dial('acme', 201), phone: 'nope' }, dial('other', 202), { bogus: true }]),
      entry('5-0', { not: 'an array' } as unknown as unknown[]),
    ];
    const { batches, poison } = packEntries('acme', entries, 100);
    expect(batches.map((b) => b.count)).toEqual([100, 51]);
    expect(JSON.parse(batches[1]!.dialsJson).map((d: { callId: string }) => d.callId)).toEqual([...range(100, 50).map((d) => d.callId), 'C200']);
    expect(poison.map((p) => p.entryId)).toEqual(['2-0', '3-0', '4-0', '4-0', '4-0', '5-0']);
    expect(poison[3]!.reason).toMatch(/belongs to company other/);
  });
});

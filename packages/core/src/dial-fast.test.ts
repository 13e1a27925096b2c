import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { dialEventSchema, dialInputSchema } from './dial.js';
import { isCanonicalStoredDial, normaliseDialFast } from './dial-fast.js';

const runs = { numRuns: 3000 };
const valid = {
  companySlug: 'acme-co',
  callId: 'C1',
  callDirection: 'outbound',
  timestamp: '2026-04-10T18:32:15.123Z',
  ani: '5551234567',
  phone: '5559876543',
  campaign: 'Q2',
  campaignInternalId: 'abc-123',
  agent: 'Jane Doe',
  disposition: 'Sale',
  dispositionId: '42',
  contact: true,
  success: false,
  isSystemDispo: false,
  totalDialAttempts: 3,
};

const text = fc.oneof(fc.string({ maxLength: 12 }), fc.constant(''), fc.constant('x'.repeat(1024)), fc.constant('x'.repeat(1025)));
const anything = fc.oneof(fc.constant(undefined), fc.constant(null), text, fc.boolean(), fc.integer(), fc.double(), fc.constant([]), fc.constant({}));
const phoneish = fc.oneof(
  fc.constant('(555) 123-4567'), fc.constant('+1 555 123 4567'), fc.constant('15551234567'), fc.constant('25551234567'),
  fc.constant('555-1234'), fc.stringMatching(/^[0-9 ()+.-]{0,16}$/), anything,
);
const timestampish = fc.oneof(
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), fc.date(), fc.constant(new Date(Number.NaN)), fc.constant('2026-04-10T18:32:15+02:00'),
  fc.constant('2026-04-10T18:32'), fc.constant('2026-04-10T18:32:15'), fc.constant('2026-02-30T00:00:00Z'), fc.constant('+010000-01-01T00:00:00Z'),
  fc.constant('9999-12-31T23:59:59.999-05:00'), fc.constant('2026-04-10t18:32:15.123456789z'), anything,
);
const countish = fc.oneof(fc.nat(), fc.constant(-0), fc.constant(-1), fc.constant(1.5), fc.constant(Number.MAX_SAFE_INTEGER + 1), anything);
const slugish = fc.oneof(fc.constant('acme.co_1-x'), fc.stringMatching(/^[A-Za-z0-9._-]{0,130}$/), fc.constant('a b'), anything);

/** A dial input with each field either valid, varied, invalid or missing, plus the odd extra key. */
const dialInput = fc.record(
  {
    companySlug: slugish,
    callId: fc.oneof(fc.constant(valid.callId), anything),
    callDirection: fc.oneof(fc.constant('inbound'), anything),
    timestamp: timestampish,
    ani: phoneish,
    phone: phoneish,
    campaign: fc.oneof(text, anything),
    campaignInternalId: fc.oneof(text, anything),
    agent: fc.oneof(text, anything),
    disposition: fc.oneof(text, anything),
    dispositionId: fc.oneof(text, anything),
    contact: fc.oneof(fc.boolean(), anything),
    success: fc.oneof(fc.boolean(), anything),
    isSystemDispo: fc.oneof(fc.boolean(), anything),
    totalDialAttempts: countish,
    extra: anything,
  },
  { requiredKeys: [] },
);
/** Mostly-valid inputs, so the fast path's "yes" answers are exercised too, not only its "ask zod". */
const mostlyValid = fc.tuple(dialInput, fc.subarray(Object.keys(valid))).map(([random, keep]) => {
  const out: Record<string, unknown> = { ...random };
  for (const k of keep) out[k] = valid[k as keyof typeof valid];
  return out;
});

describe('normaliseDialFast agrees with dialInputSchema', () => {
  it('answers only when zod accepts, with the same value serialised the same way', () => {
    fc.assert(
      fc.property(fc.oneof(dialInput, mostlyValid), (input) => {
        const fast = normaliseDialFast(input);
        if (fast === undefined) return;
        const zod = dialInputSchema.safeParse(input);
        expect(zod.success).toBe(true);
        expect(JSON.stringify(fast)).toBe(JSON.stringify(zod.data));
      }),
      runs,
    );
  });

  it('answers for the ordinary spellings of a valid dial', () => {
    const { callId: _c, campaign: _p, ...withoutOptional } = valid;
    for (const input of [
      valid,
      withoutOptional,
      { ...valid, timestamp: new Date('2026-04-10T18:32:15Z'), ani: '+1 (555) 123-4567', phone: null, totalDialAttempts: null, extra: 1 },
      { ...valid, timestamp: '2026-04-10T18:32:15+02:00' },
    ]) {
      expect(normaliseDialFast(input)).toEqual(dialInputSchema.parse(input));
    }
  });

  it('leaves anything but a plain object to zod', () => {
    class Dial {
      constructor() {
        Object.assign(this, valid);
      }
    }
    expect(normaliseDialFast(new Dial())).toBeUndefined();
    expect(normaliseDialFast(Object.assign([], valid))).toBeUndefined();
    expect(normaliseDialFast(null)).toBeUndefined();
  });
});

describe('isCanonicalStoredDial agrees with dialEventSchema', () => {
  const stored = fc.oneof(
    fc.oneof(dialInput, mostlyValid).map((input) => normaliseDialFast(input) ?? input),
    fc.constant(valid),
    fc.constant({ ...valid, ani: '555123456' }),
    fc.constant({ ...valid, timestamp: '2026-04-10T18:32:15Z' }),
    fc.constant({ ...valid, extra: 1 }),
    fc.constant(Object.fromEntries(Object.entries(valid).reverse())),
  );

  it('is true only when zod accepts and its output serialises exactly like the value', () => {
    fc.assert(
      fc.property(stored, (value) => {
        // The batcher checks what JSON.parse gave it.
        const parsed: unknown = JSON.parse(JSON.stringify(value) ?? 'null');
        if (!isCanonicalStoredDial(parsed)) return;
        const zod = dialEventSchema.safeParse(parsed);
        expect(zod.success).toBe(true);
        expect(JSON.stringify(zod.data)).toBe(JSON.stringify(parsed));
      }),
      runs,
    );
  });

  it('is true for what the producer writes, false for reordered or extra keys', () => {
    expect(isCanonicalStoredDial(JSON.parse(JSON.stringify(dialInputSchema.parse(valid))))).toBe(true);
    expect(isCanonicalStoredDial(Object.fromEntries(Object.entries(valid).reverse()))).toBe(false);
    expect(isCanonicalStoredDial({ ...valid, extra: 1 })).toBe(false);
    expect(isCanonicalStoredDial({ ...valid, phone: '555' })).toBe(false);
  });
});

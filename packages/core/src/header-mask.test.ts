import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { HEADER_MASK, isMaskedHeaderValue, maskHeaderValue } from './header-mask.js';
import { webhookHeadersSchema } from './webhook.js';

describe('masking a header value', () => {
  it('shows "••••" and the last 4 characters from 12 characters on, "••••" alone below, for any value', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 1100 }), (value) => {
        const chars = [...value];
        const masked = maskHeaderValue(value);
        if (chars.length >= 12) expect(masked).toBe(HEADER_MASK + chars.slice(-4).join(''));
        else expect(masked).toBe(HEADER_MASK);
        // Never more than 4 characters of the value, and always recognised as a mask.
        expect([...masked].length).toBeLessThanOrEqual(8);
        expect(isMaskedHeaderValue(masked)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('is exact at the edges', () => {
    expect(maskHeaderValue('')).toBe('••••');
    expect(maskHeaderValue('12345678901')).toBe('••••');
    expect(maskHeaderValue('123456789012')).toBe('••••9012');
    expect(maskHeaderValue(`${'x'.repeat(20)}a😀bc`)).toBe('••••a😀bc');
  });

  it('never takes a value a header may hold for a mask, so a real value is never mistaken for one', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.oneof(fc.constant(0x09), fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0x80, max: 0xff })).map((c) => String.fromCharCode(c)), maxLength: 1024 }), (value) => {
        expect(webhookHeadersSchema.safeParse({ 'X-Key': value }).success).toBe(true);
        expect(isMaskedHeaderValue(value)).toBe(false);
      }),
    );
    for (const notMask of ['•••', '•••••', '••••abc', '••••abcde', 'x••••']) expect(isMaskedHeaderValue(notMask)).toBe(false);
  });
});

import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { validateHeaderName, validateHeaderValue } from 'node:http';
import { isIP, SocketAddress } from 'node:net';
import { dialEventSchema, dialInputSchema } from '../dial.js';
import { ValidationError } from '../errors.js';
import { parseOrThrow } from '../validation.js';
import { webhookHeadersSchema, webhookUrlSchema } from '../webhook.js';
import { judgeAddress } from './address.js';
import { checkWebhookHost, createHostCheck } from './host-check.js';
import { parseIpLiteral } from './ip-literal.js';

const runs = { numRuns: 2000 };
const anyText = fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary' }));
const hostish = fc.oneof(fc.ipV4(), fc.ipV4Extended(), fc.ipV6(), fc.domain(), anyText);

describe('the judge and the host check return a verdict for anything', () => {
  it('judgeAddress never throws', () => {
    fc.assert(fc.property(hostish, (text) => {
      expect(typeof judgeAddress(text).allowed).toBe('boolean');
    }), runs);
  });

  it('reads every inet_aton spelling of an IPv4 address as the URL parser does', () => {
    fc.assert(fc.property(fc.ipV4Extended(), (text) => {
      expect(parseIpLiteral(text)?.address).toBe(new URL(`https://${text}/`).hostname);
    }), runs);
  });

  it('reads IPv6 into the bytes Node reads', () => {
    fc.assert(fc.property(fc.ipV6(), (text) => {
      const ip = parseIpLiteral(text)!;
      const groups = Array.from({ length: 8 }, (_, i) => ((ip.bytes[2 * i]! << 8) | ip.bytes[2 * i + 1]!).toString(16));
      const rebuilt = groups.join(':');
      expect(isIP(rebuilt)).toBe(6);
      expect(new SocketAddress({ address: rebuilt, family: 'ipv6' }).address).toBe(ip.address);
      // The URL parser's spelling of the same address gets the same verdict.
      expect(judgeAddress(new URL(`https://[${text}]/`).hostname).allowed).toBe(judgeAddress(text).allowed);
    }), runs);
  });

  it('checkWebhookHost never throws, and allows no non-public IP literal', () => {
    const urls = fc.oneof(fc.webUrl({ withQueryParameters: true, withFragments: true }), hostish.map((h) => `https://${h}/`));
    fc.assert(fc.property(urls, (text) => {
      if (!URL.canParse(text)) return;
      const url = new URL(text);
      const reason = checkWebhookHost(url);
      const ip = parseIpLiteral(url.hostname);
      if (ip !== null && !judgeAddress(ip).allowed) expect(reason).not.toBeNull();
    }), runs);
  });
});

/** safeParse never throws; parseOrThrow throws nothing but a ValidationError. */
function expectOnlyValidationFailures(schema: { safeParse(v: unknown): { success: boolean } }, value: unknown) {
  const result = schema.safeParse(value);
  expect(typeof result.success).toBe('boolean');
  try {
    parseOrThrow(schema as never, value);
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
  }
  return result;
}

describe('core schemas on arbitrary input', () => {
  const strictUrl = webhookUrlSchema({ checkHost: createHostCheck({ allowPrivate: false }) });
  const lenientUrl = webhookUrlSchema();

  it('the URL schema succeeds or fails with a validation error, and keeps accepted URLs byte-identical', () => {
    const inputs = fc.oneof(fc.webUrl({ withQueryParameters: true, withFragments: true }), hostish.map((h) => `https://${h}/x`), anyText, fc.anything());
    fc.assert(fc.property(inputs, (value) => {
      for (const schema of [strictUrl, lenientUrl]) {
        const result = expectOnlyValidationFailures(schema, value) as { success: boolean; data?: unknown };
        if (result.success) {
          expect(result.data).toBe(value);
          expect(schema.safeParse(result.data).success).toBe(true);
        }
      }
    }), runs);
  });

  it('the header schema succeeds or fails with a validation error, and accepts only what Node can send', () => {
    const headerName = fc.oneof(fc.stringMatching(/^[A-Za-z0-9-]{1,20}$/), anyText);
    const headers = fc.oneof(fc.dictionary(headerName, anyText, { maxKeys: 12 }), fc.anything());
    fc.assert(fc.property(headers, (value) => {
      const result = expectOnlyValidationFailures(webhookHeadersSchema, value) as { success: boolean; data?: Record<string, string> };
      if (!result.success) return;
      expect(result.data).toEqual(value);
      expect(webhookHeadersSchema.safeParse(result.data).success).toBe(true);
      for (const [name, headerValue] of Object.entries(result.data!)) {
        expect(() => validateHeaderName(name)).not.toThrow();
        expect(() => validateHeaderValue(name, headerValue)).not.toThrow();
      }
    }), runs);
  });

  it('the dial schema succeeds or fails with a validation error; what it accepts round-trips and the batcher accepts', () => {
    const maybe = <T>(arb: fc.Arbitrary<T>) => fc.oneof(arb, fc.constant(null), fc.constant(undefined), fc.anything());
    const dial = fc.record({
      companySlug: fc.oneof(fc.stringMatching(/^[A-Za-z0-9._-]{1,20}$/), anyText),
      callId: maybe(anyText),
      callDirection: fc.oneof(fc.constantFrom('inbound', 'outbound'), anyText),
      timestamp: fc.oneof(fc.date(), fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), anyText),
      ani: maybe(fc.oneof(fc.stringMatching(/^\+?1?[ (-]?\d{3}[ )-]?\d{3}-?\d{4}$/), anyText)),
      phone: maybe(fc.stringMatching(/^\d{10}$/)),
      campaign: maybe(anyText),
      campaignInternalId: maybe(anyText),
      agent: maybe(anyText),
      disposition: maybe(anyText),
      dispositionId: maybe(anyText),
      contact: fc.oneof(fc.boolean(), fc.anything()),
      success: fc.boolean(),
      isSystemDispo: fc.boolean(),
      totalDialAttempts: maybe(fc.oneof(fc.nat(), fc.integer(), fc.double())),
    }, { requiredKeys: ['companySlug', 'callDirection', 'timestamp', 'contact', 'success', 'isSystemDispo'] });
    fc.assert(fc.property(fc.oneof(dial, fc.anything()), (value) => {
      const result = expectOnlyValidationFailures(dialInputSchema, value) as { success: boolean; data?: unknown };
      if (!result.success) return;
      expect(dialInputSchema.parse(result.data)).toEqual(result.data);
      expect(dialEventSchema.safeParse(result.data).success).toBe(true);
    }), { numRuns: 5000 });
  });
});

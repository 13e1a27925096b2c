import { describe, expect, it } from '@jest/globals';
import type { LookupFunction } from 'node:net';
import { parseOrThrow } from '../validation.js';
import { webhookCreateSchema } from '../webhook.js';
import { judgeAddress } from './address.js';
import { DestinationBlockedError } from './blocked-error.js';
import { createHostCheck } from './host-check.js';
import { createVettedLookup } from './lookup.js';

// Every blocked range and spelling, judged by the three gates: the judge, the save-time URL check
// and the send-time lookup. [address in some spelling, range that refuses it]
const BLOCKED: readonly (readonly [string, string])[] = [
  ['127.0.0.1', '127.0.0.0/8'],
  ['127.255.255.254', '127.0.0.0/8'],
  ['0.0.0.0', '0.0.0.0/8'],
  ['0.1.2.3', '0.0.0.0/8'],
  ['10.0.0.1', '10.0.0.0/8'],
  ['172.16.0.1', '172.16.0.0/12'],
  ['172.31.255.255', '172.16.0.0/12'],
  ['192.168.1.1', '192.168.0.0/16'],
  ['169.254.169.254', '169.254.0.0/16'],
  ['100.64.0.1', '100.64.0.0/10'],
  ['100.127.255.255', '100.64.0.0/10'],
  ['192.0.0.8', '192.0.0.0/24'],
  ['198.18.0.1', '198.18.0.0/15'],
  ['198.19.255.255', '198.18.0.0/15'],
  ['192.0.2.1', '192.0.2.0/24'],
  ['198.51.100.7', '198.51.100.0/24'],
  ['203.0.113.9', '203.0.113.0/24'],
  ['192.88.99.1', '192.88.99.0/24'],
  ['224.0.0.1', '224.0.0.0/4'],
  ['239.255.255.250', '224.0.0.0/4'],
  ['255.255.255.255', '255.255.255.255/32'],
  ['240.0.0.1', '240.0.0.0/4'],
  // spellings of 127.0.0.1 and friends
  ['127.1', '127.0.0.0/8'],
  ['0x7f.1', '127.0.0.0/8'],
  ['0x7f000001', '127.0.0.0/8'],
  ['2130706433', '127.0.0.0/8'],
  ['017700000001', '127.0.0.0/8'],
  ['0177.0.0.01', '127.0.0.0/8'],
  ['127.0.0.1.', '127.0.0.0/8'],
  ['10.1', '10.0.0.0/8'],
  ['0', '0.0.0.0/8'],
  ['[::ffff:127.0.0.1]', '127.0.0.0/8'],
  ['[::ffff:7f00:1]', '127.0.0.0/8'],
  ['::FFFF:A9FE:A9FE', '169.254.0.0/16'],
  ['0:0:0:0:0:ffff:10.0.0.1', '10.0.0.0/8'],
  // IPv6
  ['::', '::/128'],
  ['::1', '::1/128'],
  ['[0:0:0:0:0:0:0:1]', '::1/128'],
  ['fe80::1', 'fe80::/10'],
  ['febf:ffff::1', 'fe80::/10'],
  ['fc00::1', 'fc00::/7'],
  ['fd12:3456::1', 'fc00::/7'],
  ['fec0::1', 'fec0::/10'],
  ['2001:db8::1', '2001:db8::/32'],
  ['3fff:fff::1', '3fff::/20'],
  ['ff02::1', 'ff00::/8'],
  ['100::1', '100::/64'],
  ['2001:10::1', '2001:10::/28'],
  ['2001:20::1', '2001:20::/28'],
  ['2001:2::1', '2001:2::/48'],
  ['2001:1::1', '2001::/23'],
  ['5f00::1', '5f00::/16'],
  ['4000::1', '2000::/3'],
  ['::1:0:0:1', '2000::/3'],
  ['::2:1', '0.0.0.0/8'],
  // IPv4 inside IPv6
  ['::127.0.0.1', '127.0.0.0/8'],
  ['::a00:1', '10.0.0.0/8'],
  ['::ffff:0:192.168.0.1', '192.168.0.0/16'],
  ['64:ff9b::7f00:1', '127.0.0.0/8'],
  ['64:ff9b::169.254.169.254', '169.254.0.0/16'],
  ['64:ff9b:1::a00:1', '10.0.0.0/8'],
  ['64:ff9b:1:1::808:808', '64:ff9b:1::/48'],
  ['2002:7f00:1::1', '127.0.0.0/8'],
  ['2002:c0a8:101::', '192.168.0.0/16'],
  // Teredo: server 65.54.227.120 (public), client 127.0.0.1 stored inverted (80ff:fffe)
  ['2001:0:4136:e378:8000:63bf:80ff:fffe', '127.0.0.0/8'],
  // Teredo with a private server field and a public client (8.8.8.8 inverted: f7f7:f7f7)
  ['2001:0:a00:1:8000:63bf:f7f7:f7f7', '10.0.0.0/8'],
  // scoped
  ['fe80::1%eth0', 'zone'],
];

const PUBLIC: readonly string[] = [
  '8.8.8.8',
  '1.1.1.1',
  '93.184.216.34',
  '2606:4700::1111',
  '2a00:1450:4001:80b::200e',
  '::ffff:8.8.8.8',
  '64:ff9b::808:808',
  '2002:808:808::1',
  '2001:0:4136:e378:8000:63bf:f7f7:f7f7',
  '172.32.0.1',
  '100.128.0.1',
  '11.0.0.1',
];

const strict = webhookCreateSchema({ checkHost: createHostCheck({ allowPrivate: false }) });
const lenient = webhookCreateSchema({ checkHost: createHostCheck({ allowPrivate: true }) });
const urlOf = (address: string) => (address.includes(':') && !address.startsWith('[') ? `https://[${address}]/hook` : `https://${address}/hook`);
// A URL cannot carry an IPv6 zone; everything else in the table can be a URL host.
const BLOCKED_IN_URLS = BLOCKED.filter(([address]) => !address.includes('%'));

type LookupResult = { err: NodeJS.ErrnoException | null; address: unknown; family: unknown };
function lookupOnce(lookup: LookupFunction, hostname: string, options: { all?: boolean; family?: number } = {}) {
  return new Promise<LookupResult>((resolve) => {
    lookup(hostname, options, (err, address, family) => resolve({ err, address, family }));
  });
}
const answering = (address: string) => createVettedLookup({ allowPrivate: false, resolve: async () => [{ address }] });
const noDns = createVettedLookup({
  allowPrivate: false,
  resolve: async () => {
    throw new Error('an IP literal must not be resolved');
  },
});

describe('the judge', () => {
  it.each(BLOCKED)('refuses %s (%s)', (address, range) => {
    const verdict = judgeAddress(address);
    expect(verdict).toMatchObject({ allowed: false, range: range === 'zone' ? null : range });
  });

  it.each(PUBLIC)('allows %s', (address) => {
    expect(judgeAddress(address)).toMatchObject({ allowed: true });
  });
});

describe('at save time (webhookCreateSchema with createHostCheck)', () => {
  it.each(BLOCKED_IN_URLS)('refuses a URL to %s, naming url and saying why', (address) => {
    const body = { name: 'hook', url: urlOf(address) };
    expect(() => parseOrThrow(strict, body)).toThrow(/url: host \S+ is .+; webhooks must point to the public internet/);
    expect(lenient.safeParse(body).success).toBe(true);
  });

  it.each(PUBLIC)('accepts a URL to %s', (address) => {
    expect(strict.parse({ name: 'hook', url: urlOf(address) }).url).toBe(urlOf(address));
  });
});

describe('at send time (createVettedLookup with a stub resolver)', () => {
  it.each(BLOCKED)('refuses a name resolving to %s (%s)', async (address, range) => {
    const { err } = await lookupOnce(answering(address), 'hook.example.com', { all: true });
    expect(err).toBeInstanceOf(DestinationBlockedError);
    expect(err).toMatchObject({ code: 'ERR_OIQ_DESTINATION_BLOCKED', retryable: false, host: 'hook.example.com' });
    expect(err?.message).toMatch(/^destination blocked: host hook\.example\.com resolved to \S+, .+; webhooks must point to the public internet$/);
    if (range !== 'zone') expect((err as DestinationBlockedError).range).toBe(range);
  });

  it.each(BLOCKED)('refuses the IP literal %s without DNS', async (address) => {
    const { err } = await lookupOnce(noDns, address);
    expect(err).toBeInstanceOf(DestinationBlockedError);
  });

  it.each(PUBLIC)('answers a name resolving to %s with that address', async (address) => {
    const expected = judgeAddress(address);
    const { err, address: answered } = await lookupOnce(answering(address), 'hook.example.com', { all: true });
    expect(err).toBeNull();
    expect(answered).toEqual([{ address: expected.address, family: expected.allowed ? expected.family : 0 }]);
  });
});

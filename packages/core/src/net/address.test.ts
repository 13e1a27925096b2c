import { describe, expect, it } from '@jest/globals';
import { judgeAddress } from './address.js';
import { parseIpLiteral } from './ip-literal.js';

describe('judgeAddress', () => {
  it('says which IPv4 address inside an IPv6 address decided', () => {
    expect(judgeAddress('::ffff:7f00:1')).toEqual({
      allowed: false,
      address: '::ffff:127.0.0.1',
      range: '127.0.0.0/8',
      reason: 'an IPv4-mapped IPv6 address of 127.0.0.1, a loopback address (127.0.0.0/8)',
    });
  });

  it('refuses what is not an IP address instead of throwing', () => {
    for (const input of ['', 'example.com', '1.2.3.4.5', '256.1.1.1', '08.1.1.1', '::g', '[1.2.3.4]', 'fe80::1%']) {
      expect(judgeAddress(input)).toMatchObject({ allowed: false, reason: 'not an IP address' });
    }
  });
});

describe('parseIpLiteral', () => {
  it.each([
    ['127.1', '127.0.0.1'],
    ['0x7f.1', '127.0.0.1'],
    ['2130706433', '127.0.0.1'],
    ['017700000001', '127.0.0.1'],
    ['0x', '0.0.0.0'],
    ['1.2.65535', '1.2.255.255'],
    ['4294967295', '255.255.255.255'],
    ['[::ffff:7f00:1]', '::ffff:127.0.0.1'],
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
  ])('reads %s as %s', (input, address) => {
    expect(parseIpLiteral(input)?.address).toBe(address);
  });

  it.each(['4294967296', '1.2.65536', '1.256.1', '0x1g', '1..1', 'localhost', '1.2.3.4 ', ' 1.2.3.4'])('is not fooled by %j', (input) => {
    expect(parseIpLiteral(input)).toBeNull();
  });

  it('reads IPv6 into 16 bytes, embedded dotted quad included', () => {
    expect(Array.from(parseIpLiteral('::ffff:1.2.3.4')!.bytes)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, 1, 2, 3, 4]);
    expect(Array.from(parseIpLiteral('1:2::8')!.bytes)).toEqual([0, 1, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 8]);
  });
});

import { BlockList } from 'node:net';
import { ipv4At } from './ip-literal.js';

/** A range no webhook may point into, and how to say so to a person. */
export interface BlockedRange {
  readonly cidr: string;
  /** Completes "host X is ...". */
  readonly what: string;
}

/** A range whose addresses carry an IPv4 address; the destination is judged by that address. */
export interface EmbeddingRange {
  readonly cidr: string;
  readonly what: string;
  /** The embedded IPv4 addresses, all of which must be public; null when they cannot be known. */
  readonly extract: (bytes: Uint8Array) => string[] | null;
}

// IANA IPv4 Special-Purpose Address Registry, every entry that is not globally reachable, plus the
// ones a webhook has no business with (all of 192.0.0.0/24, the deprecated 6to4 relay anycast).
// The first match names the reason, so the broadcast address comes before 240/4.
export const IPV4_BLOCKED: readonly BlockedRange[] = [
  { cidr: '0.0.0.0/8', what: 'a "this network" address' },
  { cidr: '10.0.0.0/8', what: 'a private-network address' },
  { cidr: '100.64.0.0/10', what: 'a carrier-grade NAT address' },
  { cidr: '127.0.0.0/8', what: 'a loopback address' },
  { cidr: '169.254.0.0/16', what: 'a link-local address (where cloud metadata services live)' },
  { cidr: '172.16.0.0/12', what: 'a private-network address' },
  { cidr: '192.0.0.0/24', what: 'an IETF protocol-assignment address' },
  { cidr: '192.0.2.0/24', what: 'a documentation address' },
  { cidr: '192.88.99.0/24', what: 'a deprecated 6to4 relay address' },
  { cidr: '192.168.0.0/16', what: 'a private-network address' },
  { cidr: '198.18.0.0/15', what: 'a benchmarking address' },
  { cidr: '198.51.100.0/24', what: 'a documentation address' },
  { cidr: '203.0.113.0/24', what: 'a documentation address' },
  { cidr: '224.0.0.0/4', what: 'a multicast address' },
  { cidr: '255.255.255.255/32', what: 'the broadcast address' },
  { cidr: '240.0.0.0/4', what: 'a reserved address' },
];

const teredo = (b: Uint8Array) => [ipv4At(b, 4), ipv4At(b, 12, true)];
const last32 = (b: Uint8Array) => [ipv4At(b, 12)];

// :: and ::1 sit inside ::/96 and 2001::/32 inside 2001::/23, so the order of checks is: these two,
// then the embedding ranges, then the rest.
export const IPV6_SPECIAL: readonly BlockedRange[] = [
  { cidr: '::/128', what: 'the unspecified address' },
  { cidr: '::1/128', what: 'a loopback address' },
];

export const IPV6_EMBEDDING: readonly EmbeddingRange[] = [
  { cidr: '::ffff:0:0/96', what: 'an IPv4-mapped IPv6 address', extract: last32 },
  { cidr: '::ffff:0:0:0/96', what: 'an IPv4-translated IPv6 address', extract: last32 },
  { cidr: '::/96', what: 'an IPv4-compatible IPv6 address', extract: last32 },
  { cidr: '64:ff9b::/96', what: 'a NAT64 address', extract: last32 },
  // Local-use NAT64 (RFC 8215): judged when the operator used the common /96 layout, else refused.
  { cidr: '64:ff9b:1::/48', what: 'a local-use NAT64 address', extract: (b) => (b.subarray(6, 12).every((x) => x === 0) ? last32(b) : null) },
  { cidr: '2002::/16', what: 'a 6to4 address', extract: (b) => [ipv4At(b, 2)] },
  { cidr: '2001::/32', what: 'a Teredo address', extract: teredo },
];

// IANA IPv6 Special-Purpose Address Registry entries that are not globally reachable, the rest of
// 2001::/23 (protocol anycasts no webhook lives at), then anything outside global unicast 2000::/3.
export const IPV6_BLOCKED: readonly BlockedRange[] = [
  { cidr: '100::/64', what: 'a discard-only address' },
  { cidr: '2001:2::/48', what: 'a benchmarking address' },
  { cidr: '2001:10::/28', what: 'an ORCHID identifier (not routable)' },
  { cidr: '2001:20::/28', what: 'an ORCHIDv2 identifier (not routable)' },
  { cidr: '2001::/23', what: 'an IETF protocol-assignment address' },
  { cidr: '2001:db8::/32', what: 'a documentation address' },
  { cidr: '3fff::/20', what: 'a documentation address' },
  { cidr: '5f00::/16', what: 'an SRv6 segment identifier' },
  { cidr: 'fc00::/7', what: 'a unique-local (private-network) address' },
  { cidr: 'fe80::/10', what: 'a link-local address' },
  { cidr: 'fec0::/10', what: 'a site-local (private-network) address' },
  { cidr: 'ff00::/8', what: 'a multicast address' },
];

export const IPV6_OUTSIDE_GLOBAL_UNICAST: BlockedRange = { cidr: '2000::/3', what: 'not in the global unicast range' };
const GLOBAL_UNICAST = listOf('2000::/3', 'ipv6');

/** One BlockList per range, so a match can say which range it was. */
function listOf(cidr: string, type: 'ipv4' | 'ipv6'): BlockList {
  const [network = '', prefix = ''] = cidr.split('/');
  const list = new BlockList();
  list.addSubnet(network, Number(prefix), type);
  return list;
}

function matcher<R extends { cidr: string }>(ranges: readonly R[], type: 'ipv4' | 'ipv6') {
  const lists = ranges.map((range) => ({ range, list: listOf(range.cidr, type) }));
  return (address: string): R | undefined => lists.find(({ list }) => list.check(address, type))?.range;
}

export const findIpv4Block = matcher(IPV4_BLOCKED, 'ipv4');
export const findIpv6Special = matcher(IPV6_SPECIAL, 'ipv6');
const findIpv6Listed = matcher(IPV6_BLOCKED, 'ipv6');
export const findIpv6Embedding = matcher(IPV6_EMBEDDING, 'ipv6');

export function findIpv6Block(address: string): BlockedRange | undefined {
  return findIpv6Listed(address) ?? (GLOBAL_UNICAST.check(address, 'ipv6') ? undefined : IPV6_OUTSIDE_GLOBAL_UNICAST);
}

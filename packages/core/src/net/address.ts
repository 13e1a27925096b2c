import { parseIpLiteral, type IpLiteral } from './ip-literal.js';
import { findIpv4Block, findIpv6Block, findIpv6Embedding, findIpv6Special, type BlockedRange } from './ranges.js';

/** What the judge says of one address. `address` is the canonical spelling when it was an IP. */
export type AddressVerdict = AllowedAddress | BlockedAddress;

export interface AllowedAddress {
  readonly allowed: true;
  readonly address: string;
  readonly family: 4 | 6;
}

export interface BlockedAddress {
  readonly allowed: false;
  readonly address: string;
  /** The range of the rule that decided (for an embedded IPv4, the IPv4 range), or null. */
  readonly range: string | null;
  /** Completes "host X is ...", e.g. `a loopback address (127.0.0.0/8)`. */
  readonly reason: string;
}

/**
 * Judges one address: allowed only when it is public unicast. Takes any spelling `parseIpLiteral`
 * reads (or its result); anything else is refused as "not an IP address". Never throws.
 */
export function judgeAddress(input: string | IpLiteral): AddressVerdict {
  const ip = typeof input === 'string' ? parseIpLiteral(input) : input;
  if (ip === null) return { allowed: false, address: String(input), range: null, reason: 'not an IP address' };
  return ip.family === 4 ? judgeIpv4(ip.address) : judgeIpv6(ip);
}

/** True only for a public unicast address. */
export function isPublicAddress(input: string): boolean {
  return judgeAddress(input).allowed;
}

function judgeIpv4(address: string): AddressVerdict {
  const range = findIpv4Block(address);
  return range === undefined ? { allowed: true, address, family: 4 } : blocked(address, range);
}

function judgeIpv6(ip: IpLiteral): AddressVerdict {
  const { address } = ip;
  // A zone only means something for link-local and multicast scopes, which are refused anyway.
  if (ip.zone !== null) return { allowed: false, address, range: null, reason: 'a scoped IPv6 address (with a %zone)' };
  const special = findIpv6Special(address);
  if (special !== undefined) return blocked(address, special);
  const embedding = findIpv6Embedding(address);
  if (embedding !== undefined) {
    const inner = embedding.extract(ip.bytes);
    if (inner === null) {
      return { allowed: false, address, range: embedding.cidr, reason: `${embedding.what} (${embedding.cidr}) with no known IPv4 layout` };
    }
    for (const ipv4 of inner) {
      const verdict = judgeIpv4(ipv4);
      if (!verdict.allowed) {
        return { allowed: false, address, range: verdict.range, reason: `${embedding.what} of ${ipv4}, ${verdict.reason}` };
      }
    }
    return { allowed: true, address, family: 6 };
  }
  const range = findIpv6Block(address);
  return range === undefined ? { allowed: true, address, family: 6 } : blocked(address, range);
}

function blocked(address: string, range: BlockedRange): BlockedAddress {
  return { allowed: false, address, range: range.cidr, reason: `${range.what} (${range.cidr})` };
}

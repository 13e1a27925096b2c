import { BlockList, isIP } from 'node:net';
import type { HostCheck } from '@outboundiq/core';

// Loopback, private, link-local (cloud metadata), CGNAT, unspecified and unique-local ranges.
const PRIVATE = new BlockList();
for (const [net, bits] of [['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12], ['192.168.0.0', 16]] as const) {
  PRIVATE.addSubnet(net, bits, 'ipv4');
}
for (const [net, bits] of [['::', 127], ['fc00::', 7], ['fe80::', 10]] as const) PRIVATE.addSubnet(net, bits, 'ipv6');

/**
 * Refuses webhook URLs whose host is written as a private or loopback address, or `localhost`,
 * when saving a webhook: a clear 400 for an obvious mistake. Names resolving to private addresses
 * are the sender's to refuse at connect time (only it sees the address it actually dials).
 */
export function literalHostCheck(allowPrivate: boolean): HostCheck | undefined {
  if (allowPrivate) return undefined;
  return (url) => {
    const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
    if (host === 'localhost' || host.endsWith('.localhost')) return 'must not point at this machine (localhost)';
    const family = isIP(host);
    if (family === 0) return null;
    // BlockList also matches IPv4-mapped IPv6 (`::ffff:7f00:1`) against the IPv4 ranges.
    const blocked = PRIVATE.check(host, family === 4 ? 'ipv4' : 'ipv6');
    return blocked ? 'must not point at a private, loopback or link-local address' : null;
  };
}

import { promises as dns } from 'node:dns';
import type { LookupAddress, LookupOptions } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { judgeAddress } from './address.js';
import { DestinationBlockedError } from './blocked-error.js';
import { parseIpLiteral } from './ip-literal.js';

/** Resolves a host name to its addresses. Tests inject a stub; nothing else should need to. */
export type Resolver = (hostname: string) => Promise<readonly { readonly address: string }[]>;

export interface VettedLookupOptions {
  /** Lifts the block (ALLOW_PRIVATE_DESTINATIONS; never in production). */
  allowPrivate: boolean;
  /** Defaults to the system resolver (getaddrinfo), see `systemResolver`. */
  resolve?: Resolver;
}

/**
 * The system resolver, every address in the system's order. When blocking, the name is looked up
 * as absolute (trailing dot), so a pod's search path (ndots:5) never turns `redis.default` into
 * `redis.default.svc.cluster.local`: fewer queries, and one less way to name an internal service.
 */
export function systemResolver(options: { absolute: boolean }): Resolver {
  return (hostname) => {
    const name = options.absolute && !hostname.endsWith('.') ? `${hostname}.` : hostname;
    return dns.lookup(name, { all: true, verbatim: true });
  };
}

/**
 * A `lookup` for `net.connect`, `tls.connect` and `http(s).Agent`: resolves once, refuses the
 * connection with a DestinationBlockedError when ANY address is not public, and otherwise answers
 * exactly the vetted addresses, so the socket connects to what was checked (no second lookup for
 * DNS rebinding to slip into). IP-literal host names are judged without DNS. Node skips `lookup`
 * for hosts `net.isIP` accepts: use `createVettedAgent`, which also judges those.
 */
export function createVettedLookup(options: VettedLookupOptions): LookupFunction {
  const resolve = options.resolve ?? systemResolver({ absolute: !options.allowPrivate });
  return (hostname, lookupOptions, callback) => {
    // Callers of the older shapes: lookup(host, callback), lookup(host, family, callback).
    const [opts, done] = typeof lookupOptions === 'function'
      ? [{}, lookupOptions as typeof callback]
      : [typeof lookupOptions === 'number' ? { family: lookupOptions } : (lookupOptions ?? {}), callback];
    vettedAddresses(String(hostname), resolve, options.allowPrivate).then(
      (addresses) => process.nextTick(answer, hostname, addresses, opts, done),
      (err: unknown) => process.nextTick(done, err as NodeJS.ErrnoException, ''),
    );
  };
}

async function vettedAddresses(hostname: string, resolve: Resolver, allowPrivate: boolean): Promise<LookupAddress[]> {
  const host = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  const literal = parseIpLiteral(host);
  const answers = literal !== null ? [literal.address] : (await resolve(host)).map((a) => a.address);
  const vetted: LookupAddress[] = [];
  for (const answer of answers) {
    const ip = parseIpLiteral(answer);
    const verdict = judgeAddress(ip ?? answer);
    if (!verdict.allowed && (ip === null || !allowPrivate)) throw new DestinationBlockedError(host, verdict);
    if (ip !== null) vetted.push({ address: ip.address, family: ip.family });
  }
  return vetted;
}

function answer(
  hostname: string,
  addresses: LookupAddress[],
  options: LookupOptions,
  callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
): void {
  const family = familyOf(options.family);
  const usable = family === 0 ? addresses : addresses.filter((a) => a.family === family);
  if (usable.length === 0) {
    const err: NodeJS.ErrnoException = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), {
      code: 'ENOTFOUND',
      syscall: 'getaddrinfo',
      hostname,
    });
    callback(err, '');
  } else if (options.all === true) {
    callback(null, usable);
  } else {
    callback(null, usable[0]!.address, usable[0]!.family);
  }
}

function familyOf(family: LookupOptions['family']): 0 | 4 | 6 {
  if (family === 4 || family === 'IPv4') return 4;
  if (family === 6 || family === 'IPv6') return 6;
  return 0;
}

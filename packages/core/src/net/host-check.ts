import type { HostCheck } from '../webhook.js';
import { judgeAddress } from './address.js';
import { PUBLIC_INTERNET_ONLY } from './blocked-error.js';
import { parseIpLiteral } from './ip-literal.js';

// Names that only resolve inside a private network. `.local` covers Kubernetes' `cluster.local`,
// `.internal` cloud metadata (metadata.google.internal, *.ec2.internal), `.svc` the short form a
// pod's search path completes (`redis.default.svc`). `home.arpa` is RFC 8375's home network;
// `lan`, `intranet`, `corp`, `localdomain` are squatted private suffixes seen in the wild.
const PRIVATE_SUFFIXES = ['local', 'internal', 'svc', 'home.arpa', 'lan', 'intranet', 'corp', 'localdomain'];

/**
 * Save-time judgement of a webhook URL's host (a `HostCheck` for core's webhook schemas): the reason
 * it is refused, or null. Refuses IP literals that are not public, `localhost` and `*.localhost`,
 * private suffixes, and single-label names (a search domain turns `redis` or `metadata` into an
 * internal service; no public host is dotless). A name that merely resolves to a private address
 * passes here: only the send-time lookup can know, and it refuses it. Never throws.
 */
export function checkWebhookHost(url: URL): string | null {
  try {
    return hostProblem(url.hostname);
  } catch {
    return 'host could not be judged';
  }
}

/** The HostCheck to give core's webhook schemas: none when private destinations are allowed. */
export function createHostCheck(options: { allowPrivate: boolean }): HostCheck | undefined {
  return options.allowPrivate ? undefined : checkWebhookHost;
}

function hostProblem(hostname: string): string | null {
  const refuse = (what: string) => `host ${hostname} is ${what}; ${PUBLIC_INTERNET_ONLY}`;
  const ip = parseIpLiteral(hostname);
  if (ip !== null) {
    const verdict = judgeAddress(ip);
    return verdict.allowed ? null : refuse(verdict.reason);
  }
  const name = hostname.toLowerCase().replace(/\.+$/, '');
  if (name === '') return refuse('not a host name');
  if (name === 'localhost' || name.endsWith('.localhost')) return refuse('a loopback name');
  const suffix = PRIVATE_SUFFIXES.find((s) => name === s || name.endsWith(`.${s}`));
  if (suffix !== undefined) return refuse(`a private-network name (.${suffix})`);
  if (!name.includes('.')) return refuse('a single-label name, which only resolves inside a private network');
  return null;
}

/**
 * Destination policy: webhooks may only reach the public internet (SSRF protection).
 *
 * Two gates, one judge (`judgeAddress`: public unicast only, any spelling of an IP, IPv4 embedded in
 * IPv6 judged by that IPv4; the ranges are listed in ranges.ts).
 *
 * Save time (admin API): `createHostCheck({ allowPrivate })` is the `checkHost` for core's
 * `webhookCreateSchema` / `webhookUpdateSchema`. It refuses non-public IP literals, localhost,
 * private suffixes (.local, .internal, .svc, ...) and single-label names, with a reason a customer
 * can read. It cannot know what a name resolves to, so it is a courtesy, not the protection.
 *
 * Send time (sender), the protection:
 *
 *   const agent = createVettedAgent({ allowPrivate: config.ALLOW_PRIVATE_DESTINATIONS,
 *     keepAlive: true, minVersion: 'TLSv1.2' });
 *   got(url, { agent: { https: agent }, http2: false, followRedirect: false, retry: { limit: 0 } });
 *   ...
 *   catch (err) { if (!isRetryable(err)) -> give up at once (UnrecoverableError) }
 *
 * The agent resolves each new connection once through `createVettedLookup`, refuses it with a
 * `DestinationBlockedError` (code ERR_OIQ_DESTINATION_BLOCKED, retryable false) when any address is
 * not public, and hands Node exactly the vetted addresses, so DNS rebinding has no second lookup to
 * use. It also judges IP-literal hosts, for which Node never calls a `lookup`: a bare
 * `new https.Agent({ lookup: createVettedLookup(...) })` would let `https://127.0.0.1/` through.
 * With `allowPrivate` (never in production: config.ts refuses it) everything resolves normally.
 */
export { judgeAddress, isPublicAddress, type AddressVerdict, type AllowedAddress, type BlockedAddress } from './address.js';
export { parseIpLiteral, type IpLiteral } from './ip-literal.js';
export { checkWebhookHost, createHostCheck } from './host-check.js';
export { createVettedLookup, systemResolver, type Resolver, type VettedLookupOptions } from './lookup.js';
export { createVettedAgent, type VettedAgentOptions } from './agent.js';
export {
  DestinationBlockedError,
  DESTINATION_BLOCKED,
  PUBLIC_INTERNET_ONLY,
  isDestinationBlocked,
  findDestinationBlocked,
} from './blocked-error.js';
export { IPV4_BLOCKED, IPV6_BLOCKED, IPV6_EMBEDDING, IPV6_SPECIAL, type BlockedRange, type EmbeddingRange } from './ranges.js';

import https from 'node:https';
import type { Duplex } from 'node:stream';
import { judgeAddress } from './address.js';
import { DestinationBlockedError } from './blocked-error.js';
import { parseIpLiteral } from './ip-literal.js';
import { createVettedLookup, type Resolver } from './lookup.js';

export interface VettedAgentOptions extends Omit<https.AgentOptions, 'lookup'> {
  allowPrivate: boolean;
  resolve?: Resolver;
}

/**
 * An https.Agent that only connects to public addresses: names go through `createVettedLookup`,
 * and IP-literal hosts, for which Node never calls `lookup`, are judged before any socket is made.
 * Its lookup overrides any per-request `lookup` (Node spreads the agent's options last), so got's
 * `dnsLookup` / `dnsCache` cannot bypass it.
 */
export function createVettedAgent(options: VettedAgentOptions): https.Agent {
  const { allowPrivate, resolve, ...agentOptions } = options;
  const lookup = createVettedLookup(resolve === undefined ? { allowPrivate } : { allowPrivate, resolve });
  return new VettedAgent({ ...agentOptions, lookup }, allowPrivate);
}

class VettedAgent extends https.Agent {
  readonly #allowPrivate: boolean;

  constructor(options: https.AgentOptions, allowPrivate: boolean) {
    super(options);
    this.#allowPrivate = allowPrivate;
  }

  override createConnection(
    options: https.RequestOptions,
    callback?: (err: Error | null, stream: Duplex) => void,
  ): Duplex | null | undefined {
    const refusal = this.#allowPrivate ? null : refuseLiteral(options);
    if (refusal === null) return super.createConnection(options, callback);
    if (callback === undefined) throw refusal;
    // The agent reports a socket-creation error to the request, which emits it as its 'error'.
    process.nextTick(() => callback(refusal, undefined as unknown as Duplex));
    return undefined;
  }
}

function refuseLiteral(options: https.RequestOptions): DestinationBlockedError | null {
  if (options.socketPath !== undefined) {
    return new DestinationBlockedError(options.socketPath, { allowed: false, address: options.socketPath, range: null, reason: 'a local socket' });
  }
  const host = options.host ?? options.hostname ?? 'localhost';
  const ip = parseIpLiteral(host);
  if (ip === null) return null;
  const verdict = judgeAddress(ip);
  return verdict.allowed ? null : new DestinationBlockedError(host, verdict);
}

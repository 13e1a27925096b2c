import { OiqError, errorChain } from '../errors.js';
import type { BlockedAddress } from './address.js';

export const DESTINATION_BLOCKED = 'ERR_OIQ_DESTINATION_BLOCKED';

/** The sentence every refusal ends with, at save time and at send time. */
export const PUBLIC_INTERNET_ONLY = 'webhooks must point to the public internet';

/**
 * A delivery refused because its host is, or resolves to, an address that is not public. Never
 * retryable (the same name will most likely resolve the same way 500 ms later): the sender reads
 * that through `isRetryable` and gives up at once.
 */
export class DestinationBlockedError extends OiqError {
  readonly code = DESTINATION_BLOCKED;
  /** The host as the request named it. */
  readonly host: string;
  /** The refused address (canonical spelling). */
  readonly address: string;
  readonly range: string | null;

  constructor(host: string, verdict: BlockedAddress) {
    const how = verdict.address === host ? 'is' : `resolved to ${verdict.address},`;
    super(`destination blocked: host ${host} ${how} ${verdict.reason}; ${PUBLIC_INTERNET_ONLY}`, { retryable: false });
    this.host = host;
    this.address = verdict.address;
    this.range = verdict.range;
  }
}

/**
 * True when `err`, or anything it wraps (`cause` chains, as got's RequestError does, and
 * AggregateError's `errors`), is a destination block: which refusal it was, for tests and logs.
 * Whether to retry is `isRetryable`'s question, not this one's. Matches by class or by the stable
 * `code` (got copies the code onto its wrapper), so it also works across two copies of this module.
 */
export function isDestinationBlocked(err: unknown): boolean {
  return errorChain(err).some((e) => e instanceof DestinationBlockedError || (e as { code?: unknown }).code === DESTINATION_BLOCKED);
}

/** The DestinationBlockedError inside `err`, if any, for logging its host, address and range. */
export function findDestinationBlocked(err: unknown): DestinationBlockedError | undefined {
  return errorChain(err).find((e): e is DestinationBlockedError => e instanceof DestinationBlockedError);
}

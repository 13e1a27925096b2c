import { createHash } from 'node:crypto';
import type { ShardAppend } from './scripts.js';

/** 1-200 printable ASCII characters (CONTRACT 2.1). */
const IDEMPOTENCY_KEY = /^[\x20-\x7e]{1,200}$/;

/** The options of one call. */
export interface PublishOptions {
  /**
   * 1-200 printable ASCII characters. A call repeated with the same key within 24 hours appends
   * nothing again and resolves with the first call's result; see the README's Idempotency.
   */
  idempotencyKey?: string;
}

/** Checks a call's options; a TypeError names what is wrong. Returns the key, if any. */
export function idempotencyKeyOf(method: 'publish' | 'publishMany', options: PublishOptions | undefined): string | undefined {
  if (options === undefined) return undefined;
  if (typeof options !== 'object' || options === null) throw new TypeError(`${method}: options must be an object, like { idempotencyKey }`);
  const key = options.idempotencyKey;
  if (key === undefined) return undefined;
  if (typeof key !== 'string' || !IDEMPOTENCY_KEY.test(key)) {
    throw new TypeError(`${method}: idempotencyKey must be a string of 1 to 200 printable ASCII characters (space to ~)`);
  }
  return key;
}

/**
 * What a shard's part of a call holds, so that a repeat with the same key is told from another call
 * reusing it: each append's company and dials, in order. The publish time is left out (a retry is
 * later), and so is anything of another shard: on a cluster each shard checks its own part.
 */
export function fingerprintOf(appends: readonly ShardAppend[]): string {
  const hash = createHash('sha256');
  for (const append of appends) hash.update(append.company).update('\n').update(append.dialsJson).update('\n');
  return hash.digest('base64url');
}

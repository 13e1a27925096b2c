import { ConfigError, KEY_LAYOUT_VERSION, MAX_SHARDS, createKeys, readLayout, type Keys, type RedisClient } from '@outboundiq/core';

/**
 * While no layout is stored, no webhook can exist (the admin stores the layout before its first
 * one), so every dial is skipped. The absence is remembered this long, so a publisher calling in a
 * loop pays one round trip a call, not two.
 */
export const ABSENT_LAYOUT_TTL_MS = 1_000;

/**
 * The producer's keys, from the layout the workers stored in `p:layout` (S and the layout version).
 * S is fixed for the life of the data, so the layout is read once and kept; so is a version this
 * producer cannot write, which no later read could change without a migration. Concurrent first
 * calls share one read; a failed read is not remembered.
 * Resolves null while no layout is stored.
 */
export function createKeysSource(client: RedisClient, prefix: string, now: () => number = Date.now): () => Promise<Keys | null> {
  let known: Promise<Keys> | undefined;
  let absentUntil = 0;
  let reading: Promise<Keys | null> | undefined;

  const read = async (): Promise<Keys | null> => {
    const stored = await readLayout(client, createKeys(prefix));
    if (stored === null) {
      absentUntil = now() + ABSENT_LAYOUT_TTL_MS;
      return null;
    }
    known = Promise.resolve().then(() => keysOf(prefix, stored.shards, stored.version));
    // Every later call rejects the same way; this keeps the one kept promise from counting as unhandled.
    known.catch(() => {});
    return known;
  };

  return () => {
    if (known) return known;
    if (now() < absentUntil) return Promise.resolve(null);
    reading ??= read().finally(() => {
      reading = undefined;
    });
    return reading;
  };
}

function keysOf(prefix: string, shards: number, version: number): Keys {
  if (version !== KEY_LAYOUT_VERSION) {
    const advice =
      version > KEY_LAYOUT_VERSION
        ? `upgrade @outboundiq/webhook-producer to a version that writes layout ${version}`
        : `the workers are older than this producer: upgrade them, or use a @outboundiq/webhook-producer that writes layout ${version}`;
    throw new ConfigError(`Redis holds key layout ${version} under key prefix "${prefix}", but this producer writes layout ${KEY_LAYOUT_VERSION}: ${advice}`);
  }
  if (!Number.isInteger(shards) || shards < 1 || shards > MAX_SHARDS) {
    throw new ConfigError(`Redis holds an invalid shard count (${shards}) in ${prefix}:layout; it must be an integer from 1 to ${MAX_SHARDS}`);
  }
  return createKeys(prefix, shards);
}

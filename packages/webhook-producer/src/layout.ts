import { ConfigError, KEY_LAYOUT_VERSION, MAX_SHARDS, createKeys, readLayout, type Keys, type RedisClient } from '@outboundiq/core/publisher';

/**
 * The producer's keys, from the layout the workers stored in `p:layout` (S and the layout version).
 * S is fixed for the life of the data, so the layout is read once and kept; so is a version this
 * producer cannot write, which no later read could change without a migration. Concurrent first
 * calls share one read; a failed read is not remembered.
 * Resolves null while no layout is stored. No webhook can exist then (whatever creates the first
 * one stores the layout first), so every dial is rightly skipped; the absence is never remembered,
 * since a webhook may be created the moment after: a publisher pays a second round trip per call
 * only while nobody has a webhook at all.
 */
export function createKeysSource(client: RedisClient, prefix: string): () => Promise<Keys | null> {
  let known: Promise<Keys> | undefined;
  let reading: Promise<Keys | null> | undefined;

  const read = async (): Promise<Keys | null> => {
    const stored = await readLayout(client, createKeys(prefix));
    if (stored === null) return null;
    known = Promise.resolve().then(() => keysOf(prefix, stored.shards, stored.version));
    // Every later call rejects the same way; this keeps the one kept promise from counting as unhandled.
    known.catch(() => {});
    return known;
  };

  return () => {
    if (known) return known;
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

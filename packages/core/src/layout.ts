import { ConfigError } from './errors.js';
import { KEY_LAYOUT_VERSION, type Keys } from './keys.js';
import type { Logger } from './logger.js';
import { assertNoEviction, assertTopology, type RedisClient } from './redis.js';

/**
 * S and the key layout are data, not configuration that may drift: the first process stores them
 * in `p:layout`; every later one checks its own against them and refuses to start on a difference,
 * naming both values. The producer only reads them (CONTRACT 2.1).
 */
export interface StoredLayout {
  shards: number;
  version: number;
}

/** KEYS layout. ARGV shards, version, at. Stores them unless present; returns what is stored. */
const ENSURE_LAYOUT_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('HSET', KEYS[1], 'shards', ARGV[1], 'version', ARGV[2], 'createdAt', ARGV[3])
end
return redis.call('HMGET', KEYS[1], 'shards', 'version')
`;

type LayoutClient = RedisClient & { oiqEnsureLayout(layout: string, shards: number, version: number, at: string): Promise<[string | null, string | null]> };

/** What `p:layout` holds, or null when nothing is stored yet. */
export async function readLayout(client: RedisClient, keys: Pick<Keys, 'layout'>): Promise<StoredLayout | null> {
  const [shards, version] = await client.hmget(keys.layout(), 'shards', 'version');
  if (shards === null || shards === undefined) return null;
  return { shards: Number(shards), version: Number(version ?? 0) };
}

/** Stores this process's layout if none is, else checks it matches; throws a ConfigError naming both values. */
export async function ensureLayout(client: RedisClient, keys: Keys): Promise<StoredLayout> {
  const existing = await readLayout(client, keys);
  if (existing === null) await refuseLegacyData(client, keys);
  else checkLayout(existing, keys);
  const c = client as LayoutClient;
  if (typeof c.oiqEnsureLayout !== 'function') c.defineCommand('oiqEnsureLayout', { numberOfKeys: 1, lua: ENSURE_LAYOUT_SCRIPT });
  const [shards, version] = await c.oiqEnsureLayout(keys.layout(), keys.shards, KEY_LAYOUT_VERSION, new Date().toISOString());
  const stored = { shards: Number(shards), version: Number(version) };
  checkLayout(stored, keys);
  return stored;
}

export function checkLayout(stored: StoredLayout, keys: Pick<Keys, 'prefix' | 'shards'>): void {
  if (stored.version !== KEY_LAYOUT_VERSION) {
    throw new ConfigError(
      `Redis holds key layout ${stored.version} under KEY_PREFIX "${keys.prefix}", but this build reads and writes layout ${KEY_LAYOUT_VERSION}: run the build that matches the data`,
    );
  }
  if (stored.shards !== keys.shards) {
    throw new ConfigError(
      `SHARDS is ${keys.shards} but the data under KEY_PREFIX "${keys.prefix}" was laid out with SHARDS=${stored.shards}; S is fixed for the life of the data: set SHARDS=${stored.shards}`,
    );
  }
}

/**
 * Key layout 1 (before shards) had global index keys with no hash tag. Starting layout 2 beside
 * such data would silently ignore its webhooks and pending dials, so the process refuses instead.
 */
async function refuseLegacyData(client: RedisClient, keys: Keys): Promise<void> {
  const legacy = [`${keys.prefix}:companies:enabled`, `${keys.prefix}:sched:ready`, `${keys.prefix}:sched:leases`];
  const found = await Promise.all(legacy.map((key) => client.exists(key)));
  const key = legacy.find((_, i) => found[i] === 1);
  if (key !== undefined) {
    throw new ConfigError(
      `Redis holds data of key layout 1 under KEY_PREFIX "${keys.prefix}" (${key}), which this build (layout ${KEY_LAYOUT_VERSION}) cannot read: drain and delete it, or use another KEY_PREFIX`,
    );
  }
}

/**
 * What every app checks before it touches anything: the topology (a cluster is ready; a single URL
 * is not a cluster node), no eviction on any master, then the layout (stored by the first process).
 * A process that refuses to start has written nothing.
 */
export async function prepareRedis(client: RedisClient, keys: Keys, logger?: Logger): Promise<StoredLayout> {
  await assertTopology(client);
  await assertNoEviction(client, logger);
  return ensureLayout(client, keys);
}

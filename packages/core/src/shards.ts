import calculateSlot from 'cluster-key-slot';

/**
 * Shards: how the data is split so that everything one script or MULTI touches sits in one Redis
 * Cluster hash slot, and the slots spread over the masters.
 *
 * A company belongs to shard `shardOf(slug, S)`: FNV-1a (32-bit) of the slug's characters, mod S.
 * Shard k's keys carry the hash tag `shardTag(k, S)`, a string chosen so that its slot lies in the
 * middle half of the k-th of S equal slices of the 16,384 slots. `redis-cli --cluster create` gives
 * each of M masters one contiguous range of slots, so each holds S/M shards, give or take one (plain
 * `{p:0}`..`{p:15}` tags land 4/7/5 on 3 masters). Both functions are part of the key layout
 * (KEY_LAYOUT_VERSION): changing either moves every key.
 */

/** Redis Cluster's slot count; a slot is CRC16(tag or key) mod this. */
export const CLUSTER_SLOTS = 16_384;
/** At most one shard per 64 slots; far more than any cluster needs (8 per master is plenty). */
export const MAX_SHARDS = 256;

/** The Redis Cluster slot of a key (ioredis's own slot function, hash tags included). */
export function slotOf(key: string): number {
  return calculateSlot(key);
}

/** The shard of a company: stable across processes, versions and machines. */
export function shardOf(companySlug: string, shards: number): number {
  if (shards === 1) return 0;
  let hash = 0x811c9dc5;
  for (let i = 0; i < companySlug.length; i++) {
    hash ^= companySlug.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % shards;
}

const tagCache = new Map<string, string>();

/** The hash tag (without braces) of shard `shard` of `shards`: the first `s<k>-<n>` in its slot window. */
export function shardTag(shard: number, shards: number): string {
  assertShards(shards);
  if (!Number.isInteger(shard) || shard < 0 || shard >= shards) throw new RangeError(`shard must be an integer in [0, ${shards})`);
  const cacheKey = `${shard}/${shards}`;
  const cached = tagCache.get(cacheKey);
  if (cached !== undefined) return cached;
  const slice = CLUSTER_SLOTS / shards;
  const low = Math.floor((shard + 0.25) * slice);
  const high = Math.max(low + 1, Math.ceil((shard + 0.75) * slice));
  for (let n = 0; ; n++) {
    const tag = `s${shard}-${n}`;
    const slot = calculateSlot(tag);
    if (slot >= low && slot < high) {
      tagCache.set(cacheKey, tag);
      return tag;
    }
  }
}

export function assertShards(shards: number): void {
  if (!Number.isInteger(shards) || shards < 1 || shards > MAX_SHARDS) throw new RangeError(`shards must be an integer from 1 to ${MAX_SHARDS}`);
}

import { slotOf, type Keys } from '@outboundiq/core';
import type { DialLedger, RedisCluster } from '@outboundiq/testkit';

/** `count` companies of one shard (`<stem>-<n>`, the first that hash there). */
export function companiesOfShard(keys: Keys, stem: string, shard: number, count: number): string[] {
  const found: string[] = [];
  for (let n = 0; found.length < count; n++) if (keys.shardOf(`${stem}-${n}`) === shard) found.push(`${stem}-${n}`);
  return found;
}

/** `perShard` companies of every shard (`<stem>-<n>`, the first that hash there), shard by shard. */
export function companiesOnEveryShard(keys: Keys, stem: string, perShard: number): string[] {
  const byShard: string[][] = keys.allShards().map(() => []);
  for (let n = 0; byShard.some((list) => list.length < perShard); n++) {
    const company = `${stem}-${n}`;
    const list = byShard[keys.shardOf(company)]!;
    if (list.length < perShard) list.push(company);
  }
  return byShard.flat();
}

/** The port of the master serving each shard now (index = shard), from the slot of its hash tag. */
export async function shardMasters(cluster: RedisCluster, keys: Keys): Promise<number[]> {
  const masters = await cluster.masters();
  return keys.allShards().map((shard) => {
    const slot = slotOf(shard.tag);
    const master = masters.find((m) => m.slots.some(([from, to]) => slot >= from && slot <= to));
    if (!master) throw new Error(`no master serves shard ${shard.shard} (slot ${slot})`);
    return master.port;
  });
}

/**
 * Rejected publishes by kind: too few replicas (the dials are on the primary), not sent (nothing
 * written), timed out (outcome unknown), or the error itself.
 */
export function rejectionsByKind(ledger: DialLedger): Record<string, number> {
  const kinds: Record<string, number> = {};
  for (const dial of ledger.dials.values()) {
    if (dial.outcome !== 'rejected') continue;
    const error = dial.error ?? '';
    const kind = /replicas acknowledged/.test(error)
      ? 'too few replicas'
      : /were not sent/.test(error)
        ? 'not sent'
        : /timed out|within the timeout/i.test(error)
          ? 'timed out'
          : error.slice(0, 80);
    kinds[kind] = (kinds[kind] ?? 0) + 1;
  }
  return kinds;
}

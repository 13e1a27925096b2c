import { Cluster, type Redis } from 'ioredis';

/** A key prefix no other test file uses, so files can run side by side on one Redis. */
export function uniquePrefix(name: string): string {
  return `test-${name}-${process.pid}-${Date.now().toString(36)}`;
}

/** The nodes that hold keys: the client itself, or every master of a cluster. */
async function keyNodes(redis: Redis | Cluster): Promise<Redis[]> {
  if (!(redis instanceof Cluster)) return [redis];
  if (redis.status !== 'ready') await redis.ping();
  return redis.nodes('master');
}

/** Every key under `prefix:` (SCAN of each master on a cluster). */
export async function scanKeys(redis: Redis | Cluster, prefix: string): Promise<string[]> {
  const found: string[] = [];
  for (const node of await keyNodes(redis)) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      found.push(...keys);
    } while (cursor !== '0');
  }
  return found;
}

/** Deletes every key under `prefix:` (one key per DEL on a cluster: a DEL must stay in one slot). */
export async function deleteKeys(redis: Redis | Cluster, prefix: string): Promise<void> {
  const keys = await scanKeys(redis, prefix);
  if (redis instanceof Cluster) await Promise.all(keys.map((key) => redis.del(key)));
  else for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
}

/** Every string value held under `prefix:` (strings, hashes, lists, sets, zsets, streams), for leak scans. */
export async function dumpValues(redis: Redis | Cluster, prefix: string): Promise<string[]> {
  const values: string[] = [];
  for (const key of await scanKeys(redis, prefix)) {
    values.push(key);
    const type = await redis.type(key);
    if (type === 'string') values.push((await redis.get(key)) ?? '');
    else if (type === 'hash') values.push(...Object.values(await redis.hgetall(key)));
    else if (type === 'list') values.push(...(await redis.lrange(key, 0, -1)));
    else if (type === 'set') values.push(...(await redis.smembers(key)));
    else if (type === 'zset') values.push(...(await redis.zrange(key, '0', '-1')));
    else if (type === 'stream') {
      for (const [, fields] of await redis.xrange(key, '-', '+')) values.push(...fields);
    }
  }
  return values;
}

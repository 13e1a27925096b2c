import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { ConfigError } from './errors.js';
import type { Logger } from './logger.js';

export type { Redis, Cluster };

/** One Redis or a Redis Cluster: every module takes either, through the same code path. */
export type RedisClient = Redis | Cluster;

/**
 * Client roles:
 * - `worker`: BullMQ and the batcher loop. Never gives up on a command (`maxRetriesPerRequest: null`),
 *   so a Redis restart or a Cluster failover pauses work instead of failing it.
 * - `publisher`: the producer and HTTP handlers. Queues commands while (re)connecting, so the very
 *   first call works, but rejects any command not answered within `commandTimeoutMs`, so a caller
 *   learns within a bounded time that Redis is gone.
 */
export type RedisRole = 'worker' | 'publisher';

/** A Redis Cluster to connect to (REDIS_CLUSTER_NODES). */
export interface ClusterTarget {
  /** Seeds: any few nodes; the client learns the rest from CLUSTER SLOTS. */
  nodes: readonly { host: string; port: number }[];
  /** `rediss://` seeds: TLS to every node (managed clusters with in-transit encryption). */
  tls: boolean;
  username?: string;
  password?: string;
}

export interface RedisClientSettings {
  /** One Redis (REDIS_URL); ignored when `cluster` is given. */
  url?: string;
  cluster?: ClusterTarget;
  role: RedisRole;
  /** Shown in CLIENT LIST, handy when an operator hunts a connection. */
  name: string;
  logger?: Logger;
  /** Publisher role only. */
  commandTimeoutMs?: number;
}

export const DEFAULT_PUBLISH_TIMEOUT_MS = 2_000;

/** Reconnect quickly and keep trying: a restart of Redis must never need a restart of ours. */
const reconnectDelay = (times: number) => Math.min(50 * 2 ** Math.min(times, 6), 2_000);

export function createRedisClient(settings: RedisClientSettings & { url: string; cluster?: undefined }): Redis;
export function createRedisClient(settings: RedisClientSettings & { cluster: ClusterTarget }): Cluster;
export function createRedisClient(settings: RedisClientSettings): RedisClient;
export function createRedisClient(settings: RedisClientSettings): RedisClient {
  const common: RedisOptions = {
    connectionName: settings.name,
    // Our stream and script replies are read in RESP2 shapes; RESP3 would buy nothing here.
    protocol: 2,
  };
  const roleOptions: RedisOptions =
    settings.role === 'worker'
      ? { maxRetriesPerRequest: null }
      : { maxRetriesPerRequest: 1, commandTimeout: settings.commandTimeoutMs ?? DEFAULT_PUBLISH_TIMEOUT_MS };
  let client: RedisClient;
  if (settings.cluster) {
    client = new Cluster([...settings.cluster.nodes], clusterOptions(settings.cluster, settings.role, { ...common, ...roleOptions }));
  } else {
    if (settings.url === undefined) throw new TypeError('createRedisClient: give url or cluster');
    client = new Redis(settings.url, { ...common, ...roleOptions, enableOfflineQueue: true, retryStrategy: reconnectDelay });
  }
  attachErrorLogging(client, settings.name, settings.logger);
  return client;
}

function clusterOptions(target: ClusterTarget, role: RedisRole, redisOptions: RedisOptions): ClusterOptions {
  const auth = { ...(target.username ? { username: target.username } : {}), ...(target.password ? { password: target.password } : {}) };
  return {
    // Masters only: a replica may lag, and could still hand out a signing secret rotated away.
    scaleReads: 'master',
    enableOfflineQueue: true,
    clusterRetryStrategy: reconnectDelay,
    // A failover takes about cluster-node-timeout plus an election. Workers wait it out (200 ms x 150
    // = 30 s of redirections and retries, longer than the 15 s default node timeout); publishers are
    // bounded by their command timeout anyway.
    retryDelayOnFailover: 200,
    retryDelayOnClusterDown: 200,
    retryDelayOnTryAgain: 200,
    maxRedirections: role === 'worker' ? 150 : 16,
    slotsRefreshTimeout: 2_000,
    // Managed TLS clusters announce names the certificate is issued for: resolve them as given.
    ...(target.tls ? { dnsLookup: (address: string, callback: (err: null, address: string) => void) => callback(null, address) } : {}),
    redisOptions: { ...redisOptions, ...auth, ...(target.tls ? { tls: {} } : {}) },
  };
}

/**
 * Parses REDIS_CLUSTER_NODES: comma-separated seeds, each `host:port` or `redis[s]://[user[:pass]@]host:port`
 * (one scheme and one set of credentials for all). Throws an Error saying what is wrong.
 */
export function parseClusterNodes(value: string): ClusterTarget {
  const entries = value.split(',').map((s) => s.trim());
  if (entries.some((e) => e === '')) throw new Error('must be comma-separated host:port seeds, with no empty entry');
  let tls: boolean | undefined;
  let username: string | undefined;
  let password: string | undefined;
  const nodes = entries.map((entry) => {
    const withScheme = /^[a-z]+:\/\//i.test(entry) ? entry : `redis://${entry}`;
    let url: URL;
    try {
      url = new URL(withScheme);
    } catch {
      throw new Error(`"${entry}" is not host:port`);
    }
    if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') throw new Error(`"${entry}": the scheme must be redis:// or rediss://`);
    if (url.pathname !== '' && url.pathname !== '/') throw new Error(`"${entry}": a cluster seed takes no database or path`);
    const port = Number(url.port);
    if (url.hostname === '' || url.port === '' || !Number.isInteger(port) || port < 1 || port > 65_535) throw new Error(`"${entry}" is not host:port with a port from 1 to 65535`);
    const entryTls = url.protocol === 'rediss:';
    if (tls !== undefined && tls !== entryTls) throw new Error('mixes redis:// and rediss:// seeds');
    tls = entryTls;
    if (url.username) username = decodeURIComponent(url.username);
    if (url.password) password = decodeURIComponent(url.password);
    return { host: url.hostname.replace(/^\[|\]$/g, ''), port };
  });
  return { nodes, tls: tls ?? false, ...(username ? { username } : {}), ...(password ? { password } : {}) };
}

export function isCluster(client: RedisClient): client is Cluster {
  return client instanceof Cluster;
}

/** Every client needs an `error` listener, or a lost connection becomes an unhandled error. */
export function attachErrorLogging(client: RedisClient, name: string, logger?: Logger): void {
  let lastLogged = 0;
  client.on('error', (err: Error) => {
    // A dead Redis produces one error per reconnect attempt; one line every 5 s is enough.
    const now = Date.now();
    if (now - lastLogged < 5_000) return;
    lastLogged = now;
    logger?.warn({ err, client: name }, 'redis connection error');
  });
}

/**
 * BullMQ needs `maxmemory-policy noeviction`: an evicted job key is a lost delivery. Refuse to start
 * otherwise, checking every master of a cluster. Managed Redis that forbids CONFIG (ElastiCache,
 * Memorystore) is given the benefit of the doubt, with a warning naming the setting to check.
 */
export async function assertNoEviction(client: RedisClient, logger?: Logger): Promise<void> {
  const nodes: Redis[] = isCluster(client) ? await clusterMasters(client) : [client];
  for (const node of nodes) {
    let policy: string | undefined;
    const where = isCluster(client) ? ` on master ${node.options.host}:${node.options.port}` : '';
    try {
      const reply = (await node.config('GET', 'maxmemory-policy')) as string[];
      policy = reply[1];
    } catch (err) {
      logger?.warn({ err }, `could not read maxmemory-policy${where} (CONFIG GET refused): make sure it is noeviction (on ElastiCache, in the parameter group)`);
      continue;
    }
    if (policy !== undefined && policy !== 'noeviction') {
      throw new ConfigError(
        `Redis maxmemory-policy is "${policy}"${where}; it must be "noeviction" (BullMQ requirement: evicted keys are lost deliveries)`,
      );
    }
  }
}

/**
 * The topology matches the configuration: a cluster answers `cluster_state:ok` (else the process
 * stops, naming the state), and a REDIS_URL does not point at a cluster node (whose keys would be
 * refused with MOVED: REDIS_CLUSTER_NODES is what was meant).
 */
export async function assertTopology(client: RedisClient): Promise<void> {
  if (isCluster(client)) {
    // Before it is ready, a cluster client sends keyless commands to any seed, which may be a
    // replica whose connection it then closes under the command.
    await clusterReady(client);
    const info = String(await client.cluster('INFO'));
    const state = /cluster_state:(\w+)/.exec(info)?.[1] ?? 'unknown';
    if (state !== 'ok') throw new ConfigError(`the Redis Cluster of REDIS_CLUSTER_NODES is not ready: cluster_state:${state}`);
    return;
  }
  const info = await client.info('cluster');
  if (/cluster_enabled:1/.test(info)) {
    throw new ConfigError('REDIS_URL points at a Redis Cluster node: give the cluster\'s nodes in REDIS_CLUSTER_NODES instead');
  }
}

/** The masters a cluster client knows, once it has learnt the slots. */
async function clusterMasters(cluster: Cluster): Promise<Redis[]> {
  await clusterReady(cluster);
  return cluster.nodes('master');
}

/** Resolves once the client has learnt the slots (ioredis emits `ready` after CLUSTER INFO says ok). */
export async function clusterReady(cluster: Cluster): Promise<void> {
  if (cluster.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    cluster.once('ready', resolve);
    cluster.once('end', () => reject(new Error('the Redis Cluster connection ended before it was ready')));
  });
}

import { DEFAULT_KEY_PREFIX, DEFAULT_PUBLISH_TIMEOUT_MS, createRedisClient, parseClusterNodes, type ClusterTarget, type RedisClient } from '@outboundiq/core/publisher';
import type { PublishManyResult } from './types.js';

interface CommonOptions {
  /** Namespaces every key, like KEY_PREFIX for the workers. Default `oiq`. */
  keyPrefix?: string;
  /**
   * How long a call may wait for Redis before it rejects (with `redisUrl` or `clusterNodes`: the
   * client's command timeout), and the bound on waiting for replicas. Default 2 s.
   */
  timeoutMs?: number;
  /** Resolve only once this many replicas also hold the dials (Redis WAIT). Default 0. */
  waitForReplicas?: number;
  /**
   * Told after each call how many dials went in and how many were skipped (no enabled webhook),
   * also after one that then rejects part-way (a shard failed, replicas lagged): wire it to your own
   * metrics. It must not throw; if it does, the error is ignored, since the dials are already in.
   */
  onPublish?: (counts: PublishManyResult) => void;
}

/** Exactly one of `redisUrl`, `clusterNodes` and `redis` (CONTRACT 2.1). */
export type DialProducerOptions = CommonOptions &
  (
    | { redisUrl: string; clusterNodes?: undefined; redis?: undefined }
    /** Seeds of a Redis Cluster, each `host:port` (or `redis[s]://[user:pass@]host:port`). */
    | { clusterNodes: readonly string[]; redisUrl?: undefined; redis?: undefined }
    /** A client of your own, one Redis or a Cluster; `close()` leaves it open. */
    | { redis: RedisClient; redisUrl?: undefined; clusterNodes?: undefined }
  );

export interface ResolvedOptions {
  client: RedisClient;
  ownsClient: boolean;
  keyPrefix: string;
  timeoutMs: number;
  waitForReplicas: number;
  onPublish?: (counts: PublishManyResult) => void;
}

/** Checks the options (a TypeError names what is wrong) and makes the client unless one is given. */
export function resolveOptions(options: DialProducerOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) throw new TypeError('createDialProducer: options are required');
  const given = (['redisUrl', 'clusterNodes', 'redis'] as const).filter((name) => options[name] !== undefined);
  if (given.length !== 1) {
    throw new TypeError(`createDialProducer: give exactly one of redisUrl, clusterNodes and redis${given.length > 1 ? `, not ${given.join(' and ')}` : ''}`);
  }
  const timeoutMs = options.timeoutMs ?? DEFAULT_PUBLISH_TIMEOUT_MS;
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1) throw new TypeError('createDialProducer: timeoutMs must be a whole number of milliseconds >= 1');
  const waitForReplicas = options.waitForReplicas ?? 0;
  if (!Number.isInteger(waitForReplicas) || waitForReplicas < 0) throw new TypeError('createDialProducer: waitForReplicas must be a whole number >= 0');
  const keyPrefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
  if (typeof keyPrefix !== 'string' || keyPrefix === '') throw new TypeError('createDialProducer: keyPrefix must be a non-empty string');
  if (options.redis !== undefined && typeof (options.redis as Partial<RedisClient>).defineCommand !== 'function') {
    throw new TypeError('createDialProducer: redis must be an ioredis Redis or Cluster client');
  }
  return {
    client: options.redis ?? ownClient(options, timeoutMs),
    ownsClient: options.redis === undefined,
    keyPrefix,
    timeoutMs,
    waitForReplicas,
    ...(options.onPublish ? { onPublish: options.onPublish } : {}),
  };
}

function ownClient(options: DialProducerOptions, timeoutMs: number): RedisClient {
  const common = { role: 'publisher', name: 'oiq-producer', commandTimeoutMs: timeoutMs } as const;
  if (options.redisUrl !== undefined) {
    if (typeof options.redisUrl !== 'string') throw new TypeError('createDialProducer: redisUrl must be a string');
    return createRedisClient({ ...common, url: options.redisUrl });
  }
  const nodes = options.clusterNodes;
  if (!Array.isArray(nodes) || nodes.length === 0 || nodes.some((n) => typeof n !== 'string' || n.includes(','))) {
    throw new TypeError("createDialProducer: clusterNodes must be a non-empty array of 'host:port' strings");
  }
  let cluster: ClusterTarget;
  try {
    cluster = parseClusterNodes(nodes.join(','));
  } catch (err) {
    throw new TypeError(`createDialProducer: clusterNodes ${(err as Error).message}`, { cause: err });
  }
  return createRedisClient({ ...common, cluster });
}

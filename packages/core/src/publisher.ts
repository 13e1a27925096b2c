/**
 * The part of the shared language a publisher's process runs: the dial schema and its fast path,
 * the validation errors, the key layout and shards, reading the stored layout, and the Redis
 * client factory. `@outboundiq/webhook-producer` bundles this entry (not the index) into the
 * package the dial-cleaning service installs, so whatever this graph imports at run time ends up
 * in their process. Nothing here may load the logger (pino), the destination policy and its HTTPS
 * agent (net/), config parsing, or BullMQ: the producer's build refuses any import beyond ioredis,
 * zod, cluster-key-slot and node:crypto, and its package test checks what loading the tarball loads.
 */
export * from './errors.js';
export * from './validation.js';
export * from './dial.js';
export * from './dial-fast.js';
export { DELIVERY_DEFAULTS } from './delivery.js';
export * from './keys.js';
export * from './shards.js';
export { readLayout, type StoredLayout } from './layout.js';
export {
  DEFAULT_PUBLISH_TIMEOUT_MS,
  createRedisClient,
  isCluster,
  parseClusterNodes,
  type ClusterTarget,
  type Cluster,
  type Redis,
  type RedisClient,
  type RedisClientSettings,
  type RedisRole,
} from './redis.js';

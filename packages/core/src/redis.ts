import { Redis, type RedisOptions } from 'ioredis';
import { ConfigError } from './errors.js';
import type { Logger } from './logger.js';

export type { Redis };

/**
 * Client roles:
 * - `worker`: BullMQ and the batcher loop. Never gives up on a command (`maxRetriesPerRequest: null`),
 *   so a Redis restart pauses work instead of failing it.
 * - `publisher`: the producer and HTTP handlers. Queues commands while (re)connecting, so the very
 *   first call works, but rejects any command not answered within `commandTimeoutMs`, so a caller
 *   learns within a bounded time that Redis is gone.
 */
export type RedisRole = 'worker' | 'publisher';

export interface RedisClientSettings {
  url: string;
  role: RedisRole;
  /** Shown in CLIENT LIST, handy when an operator hunts a connection. */
  name: string;
  logger?: Logger;
  /** Publisher role only. */
  commandTimeoutMs?: number;
}

export const DEFAULT_PUBLISH_TIMEOUT_MS = 2_000;

export function createRedisClient(settings: RedisClientSettings): Redis {
  const common: RedisOptions = {
    connectionName: settings.name,
    // Our stream and script replies are read in RESP2 shapes; RESP3 would buy nothing here.
    protocol: 2,
    // Reconnect quickly and keep trying: a restart of Redis must never need a restart of ours.
    retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 6), 2_000),
  };
  const roleOptions: RedisOptions =
    settings.role === 'worker'
      ? { maxRetriesPerRequest: null, enableOfflineQueue: true }
      : { maxRetriesPerRequest: 1, enableOfflineQueue: true, commandTimeout: settings.commandTimeoutMs ?? DEFAULT_PUBLISH_TIMEOUT_MS };
  const client = new Redis(settings.url, { ...common, ...roleOptions });
  attachErrorLogging(client, settings.name, settings.logger);
  return client;
}

/** Every client needs an `error` listener, or a lost connection becomes an unhandled error. */
export function attachErrorLogging(client: Redis, name: string, logger?: Logger): void {
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
 * otherwise. Managed Redis that forbids CONFIG is given the benefit of the doubt, with a warning.
 */
export async function assertNoEviction(client: Redis, logger?: Logger): Promise<void> {
  let policy: string | undefined;
  try {
    const reply = (await client.config('GET', 'maxmemory-policy')) as string[];
    policy = reply[1];
  } catch (err) {
    logger?.warn({ err }, 'could not read maxmemory-policy (CONFIG GET refused); make sure it is noeviction');
    return;
  }
  if (policy !== undefined && policy !== 'noeviction') {
    throw new ConfigError(
      `Redis maxmemory-policy is "${policy}"; it must be "noeviction" (BullMQ requirement: evicted keys are lost deliveries)`,
    );
  }
}

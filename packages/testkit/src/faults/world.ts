import { BATCHER_GROUP, createKeys, createRedisClient, type Keys, type Redis } from '@outboundiq/core';
import { REPO_ROOT } from '../apps.js';
import { ensureTestCa } from '../ca.js';
import { startHttpsReceiver, type Receiver } from '../receiver.js';
import { uniquePrefix } from '../redis-helpers.js';
import { startRedisServer, type RedisServer, type RedisServerOptions } from '../redis-server.js';
import { Fleet } from './fleet.js';
import { DialLedger } from './ledger.js';
import type { DialPublisher } from './load.js';

/** What the world needs from the webhook store and the producer, injected (they depend on testkit). */
export interface WorldDeps {
  createStore(redis: Redis, keys: Keys): {
    create(company: string, input: { name: string; url: string; headers: Record<string, string>; enabled: boolean }): Promise<{ webhook: { id: string } }>;
  };
  createProducer(redisUrl: string, keyPrefix: string): DialPublisher & { close(): Promise<void> };
}

export interface FaultWorldOptions {
  name: string;
  redis?: RedisServerOptions;
  /** Environment of every app, on top of REDIS_URL, KEY_PREFIX, ALLOW_PRIVATE_DESTINATIONS, PORT. */
  env?: Record<string, string>;
}

export interface FaultWorld {
  prefix: string;
  keys: Keys;
  redisServer: RedisServer;
  /** The test's own client (never gives up on a command, like the workers). */
  redis: Redis;
  receiver: Receiver;
  ledger: DialLedger;
  fleet: Fleet;
  producer: DialPublisher & { close(): Promise<void> };
  /** Creates `count` webhooks of a company at receiver paths `/<company>/<n>`; returns the paths. */
  addWebhooks(company: string, count: number): Promise<string[]>;
  /** Entries read but not acknowledged in the batchers' group, over every company with webhooks. */
  pendingEntries(): Promise<number>;
  /** Stops every process, the receiver and the redis-server; never throws. */
  close(): Promise<void>;
}

/**
 * One scenario's world: a private redis-server (AOF, fsync always, its own port), a recording HTTPS
 * receiver trusted through the test CA, the producer, a ledger and a fleet of app processes.
 */
export async function startFaultWorld(options: FaultWorldOptions, deps: WorldDeps): Promise<FaultWorld> {
  const redisServer = await startRedisServer({ appendOnly: true, ...options.redis });
  const cleanups: (() => Promise<unknown> | void)[] = [() => redisServer.stop()];
  const close = async () => {
    for (const cleanup of cleanups.reverse()) await Promise.resolve().then(cleanup).catch(() => undefined);
    cleanups.length = 0;
  };
  try {
    const prefix = uniquePrefix(options.name);
    const keys = createKeys(prefix);
    const receiver = await startHttpsReceiver(ensureTestCa(`${REPO_ROOT}.test-ca`));
    cleanups.push(() => receiver.close());
    const redis = createRedisClient({ url: redisServer.url, role: 'worker', name: `fault-${options.name}` });
    cleanups.push(() => redis.disconnect());
    const producer = deps.createProducer(redisServer.url, prefix);
    cleanups.push(() => producer.close());
    const fleet = new Fleet({
      REDIS_URL: redisServer.url,
      KEY_PREFIX: prefix,
      ALLOW_PRIVATE_DESTINATIONS: 'true',
      PORT: '0',
      LOG_LEVEL: 'info',
      ...options.env,
    });
    cleanups.push(() => fleet.stopAll());
    const ledger = new DialLedger();
    const store = deps.createStore(redis, keys);
    const companies = new Set<string>();
    return {
      prefix, keys, redisServer, redis, receiver, ledger, fleet, producer, close,
      async addWebhooks(company, count) {
        companies.add(company);
        const paths: string[] = [];
        for (let n = 0; n < count; n++) {
          const path = `/${company}/${n}`;
          await store.create(company, { name: path, url: receiver.url(path), headers: {}, enabled: true });
          ledger.addWebhook(path, company);
          paths.push(path);
        }
        return paths;
      },
      async pendingEntries() {
        let pending = 0;
        for (const company of companies) {
          const reply = (await redis.xpending(keys.dials(company), BATCHER_GROUP).catch(() => [0])) as [number | string];
          pending += Number(reply[0]);
        }
        return pending;
      },
    };
  } catch (err) {
    await close();
    throw err;
  }
}

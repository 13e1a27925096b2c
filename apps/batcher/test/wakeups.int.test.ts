import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createKeys, createRedisClient, type Redis } from '@outboundiq/core';
import { startRedisServer, uniquePrefix, waitFor, type RedisServer } from '@outboundiq/testkit';
import { listenForWakeups, type Wakeups } from '../src/wakeups.js';
import { captureLogger } from './harness.js';

describe('wake messages', () => {
  const keys = createKeys(uniquePrefix('batcher-wakeups'), 4);
  let server: RedisServer;
  let publisher: Redis;
  let wakeups: Wakeups;
  const woken: number[] = [];
  let resubscribed = 0;
  const logs = captureLogger('batcher');

  beforeAll(async () => {
    // A Redis of its own, so it can be restarted under the subscription.
    server = await startRedisServer();
    publisher = createRedisClient({ url: server.url, role: 'worker', name: 'test-wakeups-pub' });
    const subscriber = createRedisClient({ url: server.url, role: 'worker', name: 'test-wakeups-sub' });
    wakeups = listenForWakeups(subscriber, keys, logs.logger, { wake: (shard) => woken.push(shard), resubscribed: () => void resubscribed++ });
    await waitFor(() => resubscribed === 1, 5_000, 'the first subscription');
  });

  afterAll(async () => {
    await wakeups.close();
    await publisher.quit();
    await server.stop();
  });

  it('wakes the shard a message names, and ignores one that names none', async () => {
    await publisher.publish(keys.wakeChannel(), '7');
    await publisher.publish(keys.wakeChannel(), '3');
    await waitFor(() => woken.includes(3), 5_000, 'the wake of shard 3');
    expect(woken).toEqual([3]);
    expect(logs.lines.filter((l) => l.msg === 'ignoring a wake message that names no shard of this layout')).toHaveLength(1);
  });

  it('subscribes again after Redis comes back, and says so, since messages sent meanwhile are lost', async () => {
    await server.restart({ kill: true, downtimeMs: 200 });
    await waitFor(() => resubscribed === 2, 10_000, 'the subscription to be made again');
    await publisher.publish(keys.wakeChannel(), '1');
    await waitFor(() => woken.includes(1), 5_000, 'the wake of shard 1');
  });
});

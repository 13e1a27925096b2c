import { isCluster, type Keys, type Logger, type RedisClient } from '@outboundiq/core';

export interface WakeHandlers {
  /** A company became the only ready one of `shard` (published by the producer or a release). */
  wake(shard: number): void;
  /** The subscription was (re)made: messages sent while it was away are lost, so look at every shard. */
  resubscribed(): void;
}

export interface Wakeups {
  close(): Promise<void>;
}

/**
 * Listens on `keys.wakeChannel()` with a connection of its own (a subscribed connection takes no
 * other command). Plain PUBLISH, so on a cluster every node relays it and any node will do.
 *
 * The subscription is made again, and every shard looked at, whenever the connection may have been
 * away: on each `ready` (ioredis resubscribes by itself too; a second SUBSCRIBE is harmless and its
 * answer tells us the subscription is live), and on a cluster when a node leaves, since ioredis then
 * moves the subscription to another node without saying so. Anything missed beyond that is caught
 * by the shards' idle re-check (shard-clock.ts).
 */
export function listenForWakeups(subscriber: RedisClient, keys: Keys, logger: Logger, handlers: WakeHandlers): Wakeups {
  const channel = keys.wakeChannel();
  subscriber.on('message', (from: string, message: string) => {
    if (from !== channel) return;
    const shard = Number(message);
    if (Number.isInteger(shard) && shard >= 0 && shard < keys.shards) handlers.wake(shard);
    else logger.warn({ channel, message }, 'ignoring a wake message that names no shard of this layout');
  });
  let closing = false;
  const subscribe = () => {
    if (closing) return;
    subscriber.subscribe(channel).then(
      () => handlers.resubscribed(),
      (err: unknown) => {
        if (!closing) logger.warn({ err }, 'subscribing to wake messages failed; shards are still looked at every BATCHER_IDLE_CHECK_MS');
      },
    );
  };
  subscriber.on('ready', subscribe);
  if (subscriber.status === 'ready') subscribe();
  if (isCluster(subscriber)) subscriber.on('-node', subscribe);
  return {
    async close() {
      closing = true;
      await subscriber.quit().catch(() => subscriber.disconnect());
    },
  };
}

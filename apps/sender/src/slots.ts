/**
 * The process-wide cap on deliveries in flight (SENDER_CONCURRENCY), shared by the workers of
 * every shard's queue: first come, first served; a freed slot passes straight to the next waiter.
 */
export interface Slots {
  acquire(): Promise<() => void>;
  readonly inUse: number;
}

export function createSlots(size: number): Slots {
  let inUse = 0;
  const waiting: (() => void)[] = [];
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else inUse--;
  };
  const once = () => {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      release();
    };
  };
  return {
    acquire() {
      if (inUse < size) {
        inUse++;
        return Promise.resolve(once());
      }
      return new Promise((resolve) => waiting.push(() => resolve(once())));
    },
    get inUse() {
      return inUse;
    },
  };
}

/**
 * How many jobs one shard's worker may hold at once. All C when there is one shard. With S
 * shards, each worker taking C would let a process hold S x C jobs while it can send only C,
 * starving the other senders; 2C/S each (never below one webhook's cap, so a lone busy webhook
 * still reaches it) bounds what a process holds to about 2C.
 */
export function workerConcurrency(total: number, shards: number, perWebhook: number): number {
  if (shards === 1) return total;
  return Math.min(total, Math.max(Math.ceil((2 * total) / shards), perWebhook));
}

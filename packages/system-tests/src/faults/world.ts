import { QUEUE_NAMES, secretBoxFromEnv } from '@outboundiq/core';
import { startFaultWorld, type FaultWorld, type FaultWorldOptions, type WorldDeps } from '@outboundiq/testkit';
import { createDialProducer } from '@outboundiq/webhook-producer';
import { createWebhookStore } from '@outboundiq/webhook-store';
import { Queue } from 'bullmq';

/** The real store (sealing with the dev key the apps use when SECRETS_ENCRYPTION_KEY is unset) and producer. */
export const worldDeps: WorldDeps = {
  createStore: (redis, keys) => createWebhookStore({ redis, keys, secretBox: secretBoxFromEnv(undefined, 'test').box }),
  createProducer: (redisUrl, keyPrefix) => createDialProducer({ redisUrl, keyPrefix }),
};

export interface TestWorld extends FaultWorld {
  /** The deliveries queue, to read job states and counts the way an operator would. */
  queue: Queue;
}

/** A fault world plus the deliveries queue; `close` stops everything and never throws. */
export async function startTestWorld(options: FaultWorldOptions): Promise<TestWorld> {
  const world = await startFaultWorld(options, worldDeps);
  const queue = new Queue(QUEUE_NAMES.deliveries, { connection: world.redis, prefix: world.keys.bullPrefix() });
  queue.on('error', () => undefined);
  const close = world.close;
  return Object.assign(world, {
    queue,
    async close() {
      await queue.close().catch(() => undefined);
      await close();
    },
  });
}

/** Jobs BullMQ holds that are not finished (waiting, delayed, active, prioritized). */
export async function unfinishedJobs(queue: Queue): Promise<Record<string, number>> {
  return queue.getJobCounts('active', 'waiting', 'delayed', 'prioritized', 'waiting-children');
}

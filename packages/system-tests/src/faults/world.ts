import { secretBoxFromEnv } from '@outboundiq/core';
import {
  startFaultWorld,
  type ClusterFaultWorld,
  type FaultWorld,
  type FaultWorldOptions,
  type RedisClusterOptions,
  type WorldDeps,
} from '@outboundiq/testkit';
import { createDialProducer } from '@outboundiq/webhook-producer';
import { createWebhookStore } from '@outboundiq/webhook-store';
import { waitFor } from '@outboundiq/testkit';
import { DeliveryQueues, unfinishedJobs } from '../queues.js';

export { unfinishedJobs } from '../queues.js';

/** The real store (sealing with the dev key the apps use when SECRETS_ENCRYPTION_KEY is unset) and producer. */
export const worldDeps: WorldDeps = {
  createStore: (redis, keys) => createWebhookStore({ redis, keys, secretBox: secretBoxFromEnv(undefined, 'test').box }),
  createProducer: (options) => createDialProducer(options),
};

interface WithQueues {
  /** Every shard's delivery queue, to read job states and counts the way an operator would. */
  queues: DeliveryQueues;
}

export type TestWorld = FaultWorld & WithQueues;
export type ClusterTestWorld = ClusterFaultWorld & WithQueues;

/** A fault world plus the delivery queues; `close` stops everything and never throws. */
export function startTestWorld(options: FaultWorldOptions & { cluster: RedisClusterOptions }): Promise<ClusterTestWorld>;
export function startTestWorld(options: FaultWorldOptions & { cluster?: undefined }): Promise<TestWorld>;
export async function startTestWorld(options: FaultWorldOptions): Promise<TestWorld | ClusterTestWorld> {
  const world = await startFaultWorld(options, worldDeps);
  const queues = new DeliveryQueues(world.redis, world.keys);
  const close = world.close;
  return Object.assign(world, {
    queues,
    async close() {
      await queues.close();
      await close();
    },
  });
}

/**
 * After a scenario's load: nothing left pending in the batchers' group (every pass a fault cut
 * short was recovered) and no delivery job left unfinished in any shard's queue.
 */
export async function waitUntilSettled(w: (FaultWorld | ClusterFaultWorld) & WithQueues, timeoutMs = 30_000): Promise<void> {
  await waitFor(async () => (await w.pendingEntries()) === 0, timeoutMs, 'no entry pending in the batchers group');
  await waitFor(async () => Object.values(await unfinishedJobs(w.queues)).every((n) => n === 0), timeoutMs, 'every job finished');
}

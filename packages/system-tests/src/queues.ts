import { QUEUE_NAMES, type Keys, type RedisClient } from '@outboundiq/core';
import { Queue, type Job, type JobType } from 'bullmq';

/**
 * Every shard's delivery queue, read the way an operator reads them in Bull Board: a job is
 * found in whichever shard's queue holds it, counts are summed over the shards.
 */
export class DeliveryQueues {
  readonly all: Queue[];

  constructor(connection: RedisClient, private readonly keys: Keys) {
    this.all = keys.allShards().map((shard) => {
      const queue = new Queue(QUEUE_NAMES.deliveries, { connection, prefix: shard.bullPrefix() });
      queue.on('error', () => undefined);
      return queue;
    });
  }

  /** The queue of a company's shard. */
  of(companySlug: string): Queue {
    return this.all[this.keys.shardOf(companySlug)]!;
  }

  async getJob(id: string): Promise<Job | undefined> {
    for (const queue of this.all) {
      const job = await queue.getJob(id);
      if (job) return job;
    }
    return undefined;
  }

  async getJobCounts(...types: JobType[]): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (const queue of this.all) {
      for (const [type, n] of Object.entries(await queue.getJobCounts(...types))) counts[type] = (counts[type] ?? 0) + n;
    }
    return counts;
  }

  async getWaitingCount(): Promise<number> {
    return (await this.getJobCounts('waiting')).waiting ?? 0;
  }

  async getFailed(): Promise<Job[]> {
    return (await Promise.all(this.all.map((queue) => queue.getFailed()))).flat();
  }

  async close(): Promise<void> {
    await Promise.all(this.all.map((queue) => queue.close().catch(() => undefined)));
  }
}

/** Jobs BullMQ holds that are not finished (waiting, delayed, active, prioritized), over every shard. */
export async function unfinishedJobs(queues: DeliveryQueues): Promise<Record<string, number>> {
  return queues.getJobCounts('active', 'waiting', 'delayed', 'prioritized', 'waiting-children');
}

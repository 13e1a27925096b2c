import { Counter, Gauge, type Registry } from 'prom-client';
import { isCluster, type RedisClient } from '@outboundiq/core';
import { sharedScrapeRead } from './metrics.js';

/**
 * The metrics the dashboard and alerts (infra/observability) need beyond metrics.ts: the sender's
 * slots, the batcher's dead letters, and Redis's memory against its limit. Same rules: `oiq_` names,
 * bounded labels only.
 */

/** The sender's process-wide delivery slots (SENDER_CONCURRENCY): how many are taken, read at scrape. */
export function registerSenderSlotGauges(registry: Registry, slots: { readonly inUse: number }, size: number): void {
  new Gauge({ name: 'oiq_sender_slots', help: 'Deliveries this sender may have in flight at once (SENDER_CONCURRENCY)', registers: [registry] }).set(size);
  new Gauge({
    name: 'oiq_sender_slots_in_use',
    help: 'Deliveries in flight in this sender (slots taken), read at scrape',
    registers: [registry],
    collect() {
      this.set(slots.inUse);
    },
  });
}

/** Poison stream entries (unreadable dials) the batcher moved to the dead-letter stream. */
export function deadLetterMetrics(registry: Registry) {
  const poison = new Counter({ name: 'oiq_batcher_dead_lettered_total', help: 'Stream entries that were not valid dials, moved to the dead-letter stream', registers: [registry] });
  poison.inc(0);
  return { onPoison: (count: number): void => void poison.inc(count) };
}

interface NodeMemory {
  node: string;
  used: number;
  max: number;
}

/**
 * Redis's memory against its limit, per master (one Redis: one node), from INFO memory at scrape.
 * With `maxmemory-policy noeviction` a full Redis refuses writes: publishes fail and dials are lost at
 * the producer. `oiq_redis_maxmemory_bytes` is 0 where no limit is set (then the machine's memory is
 * the limit). A read that fails or outlasts the timeout leaves both gauges empty for that scrape and
 * counts in oiq_redis_memory_collect_failures_total. Every copy that exports it sees the same numbers:
 * aggregate with max by (node).
 */
export function registerRedisMemoryGauges(registry: Registry, redis: RedisClient, options: { timeoutMs?: number } = {}): void {
  const timeoutMs = options.timeoutMs ?? 1_000;
  const failures = new Counter({ name: 'oiq_redis_memory_collect_failures_total', help: 'Scrapes whose INFO memory read failed or timed out', registers: [registry] });
  const read = sharedScrapeRead(() => readRedisMemory(redis), timeoutMs, failures);
  const gauge = (name: string, help: string, pick: (m: NodeMemory) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['node'] as const,
      registers: [registry],
      async collect() {
        this.reset();
        for (const m of (await read()) ?? []) this.set({ node: m.node }, pick(m));
      },
    });
  gauge('oiq_redis_memory_used_bytes', 'Redis used_memory, per master, read at scrape', (m) => m.used);
  gauge('oiq_redis_maxmemory_bytes', 'Redis maxmemory, per master (0: no limit set), read at scrape', (m) => m.max);
}

async function readRedisMemory(redis: RedisClient): Promise<NodeMemory[]> {
  const nodes = isCluster(redis) ? redis.nodes('master') : [redis];
  return Promise.all(
    nodes.map(async (node) => {
      const info = await node.info('memory');
      const field = (name: string) => {
        const m = new RegExp(`^${name}:(\\d+)`, 'm').exec(info);
        if (!m) throw new Error(`INFO memory has no ${name}`);
        return Number(m[1]);
      };
      return { node: `${node.options.host ?? 'localhost'}:${node.options.port ?? 6379}`, used: field('used_memory'), max: field('maxmemory') };
    }),
  );
}

import { QUEUE_NAMES, createKeys, secretBoxFromEnv, type Keys, type RedisClient } from '@outboundiq/core';
import { createDialProducer, type DialProducer } from '@outboundiq/webhook-producer';
import { createWebhookStore } from '@outboundiq/webhook-store';
import type { Redis } from 'ioredis';
import { masterMeter, oneRedisBackend, type MasterSample, type PipelineBackend } from './backend.js';
import { benchDial, companyNames, dialBatch } from './dials.js';
import { inParallel } from './producer-bench.js';
import { cpuMeter, peakRssMiB, round, startApp, stopApp, usPer, waitForClients, type BenchApp, type CpuSample } from './procs.js';
import type { BenchReceiver } from './receiver.js';

export interface PipelineShape {
  batchers: number;
  senders: number;
  companies: number;
  webhooksPerCompany: number;
}

export interface BenchContext {
  /** The bench's one Redis: every section's, and the pipeline's unless `backend` says otherwise. */
  redis: Redis;
  redisUrl: string;
  /** Where the pipeline runs instead (the cluster section); its rows then carry each master's figures. */
  backend?: PipelineBackend;
  caPath: string;
  receiver: BenchReceiver;
  /** Node flags for the apps (`--cpu-prof`...). */
  execArgv?: string[];
  /** Extra environment for the apps (BATCH_MAX_WAIT_MS, SENDER_CONCURRENCY...). */
  appEnv?: Record<string, string>;
}

export interface RunningPipeline {
  producer: DialProducer;
  companies: string[];
  apps: BenchApp[];
  stop(): Promise<Record<string, number | null>>;
}

const backendOf = (ctx: BenchContext): PipelineBackend => ctx.backend ?? oneRedisBackend(ctx.redis, ctx.redisUrl, 1);

/** A fresh key prefix with companies and webhooks, the apps as child processes, warmed up. */
export async function startBenchPipeline(ctx: BenchContext, shape: PipelineShape, prefix: string): Promise<RunningPipeline> {
  const { receiver } = ctx;
  const backend = backendOf(ctx);
  await backend.flush();
  const keys = createKeys(prefix, backend.shards);
  const store = createWebhookStore({ redis: backend.client, keys, secretBox: secretBoxFromEnv(undefined, 'development').box });
  const companies = companyNames(shape.companies);
  await inParallel(companies.length * shape.webhooksPerCompany, 64, (i) =>
    store.create(companies[i % companies.length]!, {
      name: `bench ${i}`,
      url: receiver.url(`/hook/${i}`),
      headers: {},
      enabled: true,
    }),
  );
  const env = { redis: backend.appEnv, prefix, caPath: ctx.caPath, extra: ctx.appEnv ?? {}, execArgv: ctx.execArgv ?? [] };
  const apps = [
    ...Array.from({ length: shape.batchers }, (_, i) => startApp('batcher', env, `batcher-${i + 1}`)),
    ...Array.from({ length: shape.senders }, (_, i) => startApp('sender', env, `sender-${i + 1}`)),
  ];
  const producer = createDialProducer({ ...backend.producer, keyPrefix: prefix, timeoutMs: 10_000 });
  const stop = async () => {
    const rss: Record<string, number | null> = {};
    for (const app of apps) rss[app.name] = peakRssMiB(app.pid);
    await Promise.all(apps.map((app) => stopApp(app)));
    await producer.close();
    return rss;
  };
  try {
    await Promise.race([
      Promise.all([waitForClients(backend.masters, 'oiq-batcher-', shape.batchers), waitForClients(backend.masters, 'oiq-sender', shape.senders)]),
      ...apps.map((app) => app.exited.then((code) => Promise.reject(new Error(`${app.name} exited (${code}) at start: ${app.output.join(' | ')}`)))),
    ]);
    // One dial per company goes through first: connections are open and every stream has its group.
    await receiver.reset();
    await producer.publishMany(dialBatch(companies, 0, companies.length, Date.now()));
    await receiver.waitForDials(companies.length * shape.webhooksPerCompany);
    await receiver.reset();
  } catch (err) {
    await stop();
    throw err;
  }
  return { producer, companies, apps, stop };
}

export interface ThroughputRow extends PipelineShape {
  dials: number;
  /** The closed loop's window: most dials published and not yet received. */
  window?: number;
  seconds: number;
  dialsPerSecond: number;
  httpPerSecond: number;
  meanBatch: number;
  latencyMs: { p50: number | null; p95: number | null; p99: number | null; max: number | null };
  cpu: Record<string, number>;
  /** CPU microseconds per delivered dial, per process. */
  cpuUsPerDial: Record<string, number>;
  peakRssMiB: Record<string, number | null>;
  /** Each master's commands and CPU over the run; only on rows of a `ctx.backend`. */
  masters?: MasterSample[];
}

export interface ThroughputSizes {
  dials: number;
  /** Dials published per publishMany call, spread round-robin over the companies. */
  chunk: number;
  /** Most dials published but not yet received: the backlog the pipeline works under... */
  window: number;
  /**
   * ...and at least this many per company: a saturated pipeline's backlog is spread over its
   * companies, and a batch holds one company's dials, so with a window under 100 per company no
   * batch could ever be full, however the batcher works.
   */
  windowPerCompany?: number;
}

/**
 * Section 2: a closed loop. The producer publishes as fast as the pipeline drains, keeping at most
 * `window` dials in the pipeline, until `dials` have all been received by every webhook.
 */
export async function benchThroughput(ctx: BenchContext, shape: PipelineShape, sizes: ThroughputSizes, prefix: string): Promise<ThroughputRow> {
  const pipeline = await startBenchPipeline(ctx, shape, prefix);
  const { receiver } = ctx;
  const backend = backendOf(ctx);
  const meter = cpuMeter(
    { bench: process.pid, receiver: receiver.pid, ...Object.fromEntries(pipeline.apps.map((a) => [a.name, a.pid])) },
    // The masters are `redis`, as on one Redis; a cluster's replicas cost CPU on this machine too.
    backend.replicas.length > 0 ? { redis: backend.masters, 'redis-replicas': backend.replicas } : { redis: backend.masters },
  );
  const perMaster = ctx.backend ? await masterMeter(backend.masters) : undefined;
  const startedAt = Date.now();
  let published = 0;
  const delivered = () => receiver.dials / shape.webhooksPerCompany;
  let cpu: CpuSample = { share: {}, seconds: {} };
  let rss: Record<string, number | null> = {};
  let masters: MasterSample[] | undefined;
  const window = Math.max(sizes.window, shape.companies * (sizes.windowPerCompany ?? 0));
  try {
    const lane = async () => {
      while (published < sizes.dials) {
        if (published - delivered() >= window) {
          await receiver.nextProgress();
          continue;
        }
        const count = Math.min(sizes.chunk, sizes.dials - published);
        const start = published;
        published += count;
        await pipeline.producer.publishMany(dialBatch(pipeline.companies, start, count, Date.now()));
      }
    };
    await Promise.all([lane(), lane()]);
    await receiver.waitForDials(sizes.dials * shape.webhooksPerCompany).catch(async (err: unknown) => {
      // Where the missing dials are: still with the batcher (ready or leased companies) or in the queues.
      throw new Error(`${(err as Error).message}; ${await pipelineState(backend.client, createKeys(prefix, backend.shards)).catch((e: unknown) => `state unreadable: ${String(e)}`)}`);
    });
  } finally {
    cpu = await meter();
    masters = await perMaster?.();
    rss = await pipeline.stop();
  }
  const stats = await receiver.stats();
  const seconds = (stats.lastAt - startedAt) / 1000;
  return {
    ...shape,
    dials: sizes.dials,
    window,
    seconds: round(seconds, 3),
    dialsPerSecond: round(sizes.dials / seconds),
    httpPerSecond: round(stats.requests / seconds),
    meanBatch: round(stats.dials / stats.requests, 1),
    latencyMs: { p50: stats.p50, p95: stats.p95, p99: stats.p99, max: stats.max },
    cpu: cpu.share,
    cpuUsPerDial: usPer(cpu, sizes.dials),
    peakRssMiB: rss,
    ...(masters ? { masters } : {}),
  };
}

/** What is left in the pipeline, summed over the shards: for the message of a run that stalled. */
async function pipelineState(client: RedisClient, keys: Keys): Promise<string> {
  const sum = { ready: 0, leased: 0, waiting: 0, active: 0, delayed: 0, failed: 0 };
  for (const shard of keys.allShards()) {
    const q = `${shard.bullPrefix()}:${QUEUE_NAMES.deliveries}`;
    const [ready, leased, waiting, active, delayed, failed] = await Promise.all([
      client.zcard(shard.ready()), client.zcard(shard.leases()), client.llen(`${q}:wait`), client.llen(`${q}:active`), client.zcard(`${q}:delayed`), client.zcard(`${q}:failed`),
    ]);
    sum.ready += ready;
    sum.leased += leased;
    sum.waiting += waiting;
    sum.active += active;
    sum.delayed += delayed;
    sum.failed += failed;
  }
  return `companies ready ${sum.ready}, leased ${sum.leased}; delivery jobs waiting ${sum.waiting}, active ${sum.active}, delayed ${sum.delayed}, failed ${sum.failed}`;
}

export interface LightLoadRow {
  companies: number;
  targetRate: number;
  dials: number;
  achievedRate: number;
  latencyMs: { p50: number | null; p95: number | null; p99: number | null; max: number | null; mean: number | null };
}

/** Section 3: single `publish` calls at a steady rate over many companies; latency only. */
export async function benchLightLoad(ctx: BenchContext, companies: number, rate: number, seconds: number, prefix: string): Promise<LightLoadRow> {
  const pipeline = await startBenchPipeline(ctx, { batchers: 1, senders: 1, companies, webhooksPerCompany: 1 }, prefix);
  const total = Math.round(rate * seconds);
  const interval = 1000 / rate;
  const startedAt = performance.now();
  const calls: Promise<unknown>[] = [];
  try {
    for (let n = 0; n < total; n++) {
      const due = startedAt + n * interval;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      calls.push(pipeline.producer.publish(benchDial(pipeline.companies[n % companies]!, n, Date.now())));
    }
    const achieved = total / ((performance.now() - startedAt) / 1000);
    await Promise.all(calls);
    await ctx.receiver.waitForDials(total);
    const stats = await ctx.receiver.stats();
    return {
      companies,
      targetRate: rate,
      dials: total,
      achievedRate: round(achieved),
      latencyMs: { p50: stats.p50, p95: stats.p95, p99: stats.p99, max: stats.max, mean: stats.mean === null ? null : round(stats.mean, 1) },
    };
  } finally {
    await pipeline.stop();
  }
}

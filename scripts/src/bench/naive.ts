/**
 * The naive design, for comparison: one BullMQ job per dial, one signed got POST per job.
 * `node naive.js worker` is its worker (a child process, like the sender); `benchNaive` is its
 * producer, run the same closed-loop way as the real pipeline's throughput runs.
 */
import { randomUUID } from 'node:crypto';
import { Agent } from 'node:https';
import { fileURLToPath } from 'node:url';
import { spawn } from 'node:child_process';
import { EVENT_TYPES, HEADER_NAMES, USER_AGENT, buildPayloadBody, dialInputSchema, signBody } from '@outboundiq/core';
import { Queue, Worker, type Job } from 'bullmq';
import got from 'got';
import { Redis } from 'ioredis';
import { dialBatch } from './dials.js';
import { cpuMeter, peakRssMiB, round, usPer, waitForClients } from './procs.js';
import type { BenchReceiver } from './receiver.js';

const QUEUE = 'naive-deliveries';
const SECRET = 'whsec_naive-benchmark-secret';
const JOB_OPTIONS = { attempts: 2, backoff: { type: 'fixed', delay: 500 }, removeOnComplete: { count: 2_000 }, removeOnFail: { count: 50_000 } };

interface NaiveJob {
  dial: unknown;
}

function runWorker(): void {
  const url = process.env.BENCH_URL!;
  const connection = new Redis(process.env.REDIS_URL!, { maxRetriesPerRequest: null, connectionName: 'oiq-naive-worker' });
  const client = got.extend({
    agent: { https: new Agent({ keepAlive: true, maxSockets: 256 }) },
    retry: { limit: 0 },
    followRedirect: false,
    throwHttpErrors: false,
    decompress: false,
    timeout: { request: 10_000 },
  });
  const worker = new Worker<NaiveJob>(
    QUEUE,
    async (job: Job<NaiveJob>) => {
      const deliveryId = randomUUID();
      const body = buildPayloadBody(deliveryId, new Date(), JSON.stringify([job.data.dial]));
      const res = await client.post(url, {
        body,
        headers: {
          'content-type': 'application/json',
          'user-agent': USER_AGENT,
          [HEADER_NAMES.event]: EVENT_TYPES.dialBatch,
          [HEADER_NAMES.deliveryId]: deliveryId,
          [HEADER_NAMES.signature]: signBody(body, SECRET),
        },
      });
      if (res.statusCode < 200 || res.statusCode >= 300) throw new Error(`HTTP ${res.statusCode}`);
    },
    { connection, prefix: process.env.NAIVE_PREFIX!, concurrency: Number(process.env.NAIVE_CONCURRENCY ?? 64) },
  );
  worker.on('error', (err) => console.error(err));
  process.on('SIGTERM', () => void worker.close().then(() => process.exit(0)));
}

export interface NaiveRow {
  dials: number;
  seconds: number;
  dialsPerSecond: number;
  latencyMs: { p50: number | null; p99: number | null };
  cpu: Record<string, number>;
  cpuUsPerDial: Record<string, number>;
  peakRssMiB: Record<string, number | null>;
}

/** Section 4: the naive design's delivered dials per second, one company, one webhook. */
export async function benchNaive(
  ctx: { redis: Redis; redisUrl: string; caPath: string; receiver: BenchReceiver; execArgv?: string[] },
  sizes: { dials: number; window: number; concurrency: number },
): Promise<NaiveRow> {
  const { redis, receiver } = ctx;
  const prefix = 'bench-naive';
  await redis.flushdb();
  const worker = spawn(process.execPath, [...(ctx.execArgv ?? []), fileURLToPath(import.meta.url), 'worker'], {
    env: {
      PATH: process.env.PATH ?? '',
      REDIS_URL: ctx.redisUrl,
      BENCH_URL: receiver.url('/naive'),
      NAIVE_PREFIX: prefix,
      NAIVE_CONCURRENCY: String(sizes.concurrency),
      NODE_EXTRA_CA_CERTS: ctx.caPath,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const connection = new Redis(ctx.redisUrl, { maxRetriesPerRequest: null, connectionName: 'oiq-naive-producer' });
  const queue = new Queue<NaiveJob>(QUEUE, { connection, prefix });
  const companies = ['bench-naive'];
  const add = (start: number, count: number) =>
    queue.addBulk(
      dialBatch(companies, start, count, Date.now()).map((d) => ({ name: 'deliver', data: { dial: dialInputSchema.parse(d) }, opts: JOB_OPTIONS })),
    );
  let rss: Record<string, number | null> = {};
  try {
    await waitForClients(redis, 'oiq-naive-worker', 1);
    await receiver.reset();
    await add(0, 100);
    await receiver.waitForDials(100);
    await receiver.reset();
    const meter = cpuMeter({ bench: process.pid, receiver: receiver.pid, 'naive-worker': worker.pid! }, redis);
    const startedAt = Date.now();
    let published = 0;
    while (published < sizes.dials) {
      if (published - receiver.dials >= sizes.window) {
        await receiver.nextProgress();
        continue;
      }
      const count = Math.min(100, sizes.dials - published);
      await add(published, count);
      published += count;
    }
    await receiver.waitForDials(sizes.dials);
    const cpu = await meter();
    rss = { 'naive-worker': peakRssMiB(worker.pid!) };
    const stats = await receiver.stats();
    const seconds = (stats.lastAt - startedAt) / 1000;
    return { dials: sizes.dials, seconds: round(seconds, 3), dialsPerSecond: round(sizes.dials / seconds), latencyMs: { p50: stats.p50, p99: stats.p99 }, cpu: cpu.share, cpuUsPerDial: usPer(cpu, sizes.dials), peakRssMiB: rss };
  } finally {
    if (worker.exitCode === null && worker.signalCode === null) {
      const exited = new Promise((resolve) => worker.once('exit', resolve));
      worker.kill('SIGTERM');
      const timer = setTimeout(() => worker.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    await queue.close();
    await connection.quit();
  }
}

if (process.argv[2] === 'worker') runWorker();

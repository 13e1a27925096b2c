import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import { spawn, type ChildProcess } from 'node:child_process';
import { REPO_ROOT, type AppName } from '@outboundiq/testkit';

/** Peak resident set (VmHWM) of a live process, in MiB; null once it is gone. */
export function peakRssMiB(pid: number): number | null {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Math.round(Number(match[1]) / 102.4) / 10 : null;
  } catch {
    return null;
  }
}

/** CPU seconds (user + system) a live process has used so far. */
export function cpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    // utime and stime are fields 14 and 15 of stat, 12 and 13 after the command name.
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/** Redis's own CPU seconds (used_cpu_sys + used_cpu_user of INFO cpu). */
export async function redisCpuSeconds(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const read = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0);
  return read('used_cpu_sys') + read('used_cpu_user');
}

export async function redisPid(redis: Redis): Promise<number> {
  const info = await redis.info('server');
  return Number(/^process_id:(\d+)/m.exec(info)?.[1]);
}

export interface CpuSample {
  /** Share of one core each process used over the interval. */
  share: Record<string, number>;
  /** CPU seconds each process used over the interval. */
  seconds: Record<string, number>;
}

/**
 * Samples the CPU of a set of processes, and of Redis, over a measured interval. `redis` is the one
 * Redis (reported as `redis`), or named groups of nodes whose CPU is summed, e.g. a cluster's masters
 * and its replicas: every redis-server shares this machine's cores, so each group's total is its cost.
 */
export function cpuMeter(pids: Record<string, number>, redis: Redis | Record<string, readonly Redis[]>) {
  const groups: Record<string, readonly Redis[]> = isRedis(redis) ? { redis: [redis] } : redis;
  const groupSeconds = async () =>
    Object.fromEntries(
      await Promise.all(Object.entries(groups).map(async ([name, nodes]) => [name, (await Promise.all(nodes.map(redisCpuSeconds))).reduce((a, b) => a + b, 0)] as const)),
    );
  const before = new Map(Object.entries(pids).map(([name, pid]) => [name, cpuSeconds(pid)]));
  const startedAt = performance.now();
  const redisBefore = groupSeconds();
  return async (): Promise<CpuSample> => {
    const wall = (performance.now() - startedAt) / 1000;
    const seconds: Record<string, number> = {};
    for (const [name, pid] of Object.entries(pids)) seconds[name] = cpuSeconds(pid) - before.get(name)!;
    const [after, start] = [await groupSeconds(), await redisBefore];
    for (const name of Object.keys(groups)) seconds[name] = after[name]! - start[name]!;
    const share = Object.fromEntries(Object.entries(seconds).map(([name, s]) => [name, round(s / wall, 2)]));
    return { share, seconds };
  };
}

const isRedis = (value: unknown): value is Redis => typeof (value as Partial<Redis>).info === 'function';

/** CPU microseconds per unit of work, per process: the figure that contention on the machine moves least. */
export function usPer(sample: CpuSample, units: number): Record<string, number> {
  return Object.fromEntries(Object.entries(sample.seconds).map(([name, s]) => [name, round((s * 1e6) / units, 1)]));
}

export interface AppEnv {
  /** Where Redis is: REDIS_URL, or REDIS_CLUSTER_NODES; and SHARDS. */
  redis: Record<string, string>;
  prefix: string;
  caPath: string;
  extra?: Record<string, string>;
  /** Node flags for the apps, e.g. `--cpu-prof` (which Node 20 refuses in NODE_OPTIONS). */
  execArgv?: string[];
}

export interface BenchApp {
  name: string;
  pid: number;
  /** stderr lines (the apps log JSON to stdout at LOG_LEVEL=warn; stdout is kept too). */
  output: string[];
  exited: Promise<number | null>;
  running(): boolean;
  kill(signal: NodeJS.Signals): void;
}

/** Apps not yet exited: a bench that exits mid-run (an error, Ctrl-C) must not leave them polling Redis. */
const liveApps = new Set<ChildProcess>();
function killLiveApps(): void {
  for (const child of liveApps) child.kill('SIGKILL');
}

/** `node [execArgv] apps/<app>/dist/main.js` with the benchmark's environment. */
export function startApp(app: AppName, env: AppEnv, name: string): BenchApp {
  const child = spawn(process.execPath, [...(env.execArgv ?? []), `${REPO_ROOT}apps/${app}/dist/main.js`], {
    env: {
      PATH: process.env.PATH ?? '',
      ...env.redis,
      KEY_PREFIX: env.prefix,
      ALLOW_PRIVATE_DESTINATIONS: 'true',
      PORT: '0',
      LOG_LEVEL: 'warn',
      NODE_EXTRA_CA_CERTS: env.caPath,
      ...env.extra,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const keep = (chunk: Buffer) => {
    if (output.length < 1_000) output.push(...chunk.toString('utf8').split('\n').filter(Boolean));
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  if (liveApps.size === 0 && !process.listeners('exit').includes(killLiveApps)) process.once('exit', killLiveApps);
  liveApps.add(child);
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      liveApps.delete(child);
      resolve(code);
    }),
  );
  return {
    name,
    pid: child.pid!,
    output,
    exited,
    running: () => child.exitCode === null && child.signalCode === null,
    kill: (signal) => void child.kill(signal),
  };
}

/**
 * Waits until Redis lists `count` connections whose name starts with `namePrefix`. Given a cluster's
 * masters, on every one of them: each app checks every master at start (noeviction), so an app that
 * shows up everywhere has learnt the whole cluster.
 */
export async function waitForClients(redis: Redis | readonly Redis[], namePrefix: string, count: number, timeoutMs = 20_000): Promise<void> {
  const nodes = isRedis(redis) ? [redis] : redis;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const lists = (await Promise.all(nodes.map((node) => node.client('LIST')))) as string[];
    const n = Math.min(...lists.map((list) => list.split('\n').filter((line) => line.includes(` name=${namePrefix}`)).length));
    if (n >= count) return;
    if (Date.now() > deadline) throw new Error(`only ${n} of ${count} ${namePrefix} connections${nodes.length > 1 ? ' on some master' : ''} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** SIGTERM, and SIGKILL if it has not exited within `graceMs`; reports error log lines. */
export async function stopApp(app: BenchApp, graceMs = 10_000): Promise<void> {
  if (app.running()) {
    const timer = setTimeout(() => app.kill('SIGKILL'), graceMs);
    app.kill('SIGTERM');
    await app.exited;
    clearTimeout(timer);
  }
  const errors = app.output.filter((line) => /"level":(50|60)/.test(line) || !line.startsWith('{'));
  if (errors.length > 0) console.error(`${app.name}: ${errors.length} error lines, first: ${errors[0]}`);
}

export function round(value: number, digits = 0): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { TestCa } from '@outboundiq/testkit';
import { join } from 'node:path';

export interface ReceiverStats {
  requests: number;
  dials: number;
  firstAt: number;
  lastAt: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
  mean: number | null;
}

export interface BenchReceiver {
  pid: number;
  url(path?: string): string;
  /** Dials received since the last reset (updated every few ms). */
  readonly dials: number;
  readonly requests: number;
  reset(): Promise<void>;
  stats(): Promise<ReceiverStats>;
  /** Resolves once `dials` reaches `count`; rejects after `timeoutMs` without progress. */
  waitForDials(count: number, stallMs?: number): Promise<void>;
  /** Resolves on the next progress message. */
  nextProgress(): Promise<void>;
  close(): Promise<void>;
}

/** Forks receiver-child.js and talks to it over IPC. */
export async function startBenchReceiver(ca: TestCa & { certPath: string; keyPath: string }): Promise<BenchReceiver> {
  const script = join(fileURLToPath(new URL('.', import.meta.url)), 'receiver-child.js');
  const child: ChildProcess = fork(script, [], {
    env: { ...process.env, BENCH_CERT: ca.certPath, BENCH_KEY: ca.keyPath },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let dials = 0;
  let requests = 0;
  let lastProgressAt = Date.now();
  const waiters = new Map<string, ((m: any) => void)[]>();
  const progressWaiters: (() => void)[] = [];
  child.on('message', (m: any) => {
    if (m.type === 'progress') {
      dials = m.dials;
      requests = m.requests;
      lastProgressAt = Date.now();
      for (const w of progressWaiters.splice(0)) w();
      return;
    }
    const list = waiters.get(m.type);
    list?.shift()?.(m);
  });
  const ask = <T>(cmd: string | null, type: string): Promise<T> =>
    new Promise((resolve) => {
      const list = waiters.get(type) ?? [];
      list.push(resolve);
      waiters.set(type, list);
      if (cmd) child.send({ cmd });
    });
  const { port } = await ask<{ port: number }>(null, 'ready');

  return {
    pid: child.pid!,
    url: (path = '/hook') => `https://127.0.0.1:${port}${path}`,
    get dials() {
      return dials;
    },
    get requests() {
      return requests;
    },
    async reset() {
      await ask('reset', 'reset');
      dials = requests = 0;
    },
    stats: () => ask<ReceiverStats>('stats', 'stats'),
    nextProgress: () => new Promise<void>((resolve) => progressWaiters.push(resolve)),
    async waitForDials(count, stallMs = 15_000) {
      lastProgressAt = Date.now();
      while (dials < count) {
        const stalled = new Promise<void>((resolve) => setTimeout(resolve, 250).unref());
        await Promise.race([new Promise<void>((resolve) => progressWaiters.push(resolve)), stalled]);
        if (Date.now() - lastProgressAt > stallMs) throw new Error(`receiver stalled at ${dials} of ${count} dials for ${stallMs} ms`);
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.disconnect();
      }),
  };
}

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './redis-server.js';
import { requireTools } from './tools.js';
import { waitFor } from './wait.js';

/** One series of an instant query's answer. */
export interface PromSeries {
  metric: Record<string, string>;
  value: [number, string];
}

export interface PrometheusServer {
  url: string;
  /** GET /api/v1/query: the instant vector (throws on an error answer or a non-vector result). */
  query(expr: string): Promise<PromSeries[]>;
  /** The rules Prometheus loaded (GET /api/v1/rules): each one's kind, name and query. */
  rules(): Promise<{ type: 'recording' | 'alerting'; name: string; query: string }[]>;
  /** What Prometheus printed (for a failing test's message). */
  output(): string;
  stop(): Promise<void>;
}

/**
 * A real Prometheus (Debian's `prometheus` package) of a test's own, on loopback, with the given
 * configuration (YAML text; rule files by absolute path) and a throwaway data folder.
 */
export async function startPrometheus(configYaml: string): Promise<PrometheusServer> {
  requireTools(['prometheus'], 'the scrape test runs a real Prometheus');
  const dir = mkdtempSync(join(tmpdir(), 'oiq-prometheus-'));
  writeFileSync(join(dir, 'prometheus.yml'), configYaml);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let out = '';
  const child: ChildProcess = spawn('prometheus', [
    `--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn',
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (c: Buffer) => void (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => void (out += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(async () => {
      if (child.exitCode !== null) throw new Error(`prometheus exited ${child.exitCode}: ${out}`);
      return (await fetch(`${url}/-/ready`).catch(() => undefined))?.status === 200;
    }, 20_000, 'prometheus ready');
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    url,
    async query(expr) {
      const res = await fetch(`${url}/api/v1/query?${new URLSearchParams({ query: expr })}`);
      const body = (await res.json()) as { status: string; error?: string; data?: { resultType: string; result: PromSeries[] } };
      if (body.status !== 'success') throw new Error(`query ${expr}: ${body.error}`);
      if (body.data!.resultType !== 'vector') throw new Error(`query ${expr}: a ${body.data!.resultType}, not a vector`);
      return body.data!.result;
    },
    async rules() {
      const body = (await (await fetch(`${url}/api/v1/rules`)).json()) as { data: { groups: { rules: { type: 'recording' | 'alerting'; name: string; query: string }[] }[] } };
      return body.data.groups.flatMap((g) => g.rules.map(({ type, name, query }) => ({ type, name, query })));
    },
    output: () => out,
    stop,
  };
}

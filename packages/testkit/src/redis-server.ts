import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { requireTools } from './tools.js';
import { waitFor } from './wait.js';

export interface RedisServerOptions {
  port?: number;
  /** AOF with fsync on every write, so a restart keeps everything acknowledged. */
  appendOnly?: boolean;
  maxmemoryPolicy?: string;
  extraArgs?: string[];
}

export interface RedisServer {
  port: number;
  url: string;
  /** SIGTERM (or SIGKILL) and start again on the same port and data folder. */
  restart(options?: { kill?: boolean; downtimeMs?: number }): Promise<void>;
  stop(): Promise<void>;
}

/** A redis-server of a test's own: its own port, its own folder, removed on stop. */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  requireTools(['redis-server']);
  const port = options.port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'oiq-redis-'));
  const args = [
    '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '',
    '--appendonly', options.appendOnly ? 'yes' : 'no', '--appendfsync', 'always',
    '--maxmemory-policy', options.maxmemoryPolicy ?? 'noeviction',
    ...(options.extraArgs ?? []),
  ];
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn('redis-server', args, { stdio: 'ignore' });
    await waitFor(() => redisAnswers(port), 10_000, `redis-server on port ${port}`);
  };
  const halt = async (signal: NodeJS.Signals) => {
    const proc = child;
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill(signal);
    await exited;
  };
  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    async restart({ kill = false, downtimeMs = 0 } = {}) {
      await halt(kill ? 'SIGKILL' : 'SIGTERM');
      if (downtimeMs > 0) await new Promise((r) => setTimeout(r, downtimeMs));
      await start();
    },
    async stop() {
      await halt('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** True when a Redis answers PING on 127.0.0.1:`port`. */
export async function redisAnswers(port: number): Promise<boolean> {
  const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => {});
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

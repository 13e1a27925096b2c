// One redis-server of a test cluster: its process, its folder (AOF, nodes.conf, log) and an admin
// client. The folder outlives the process, so a killed node restarts with its data and identity.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { sleep } from './wait.js';

/** Redis Cluster's bus listens on the client port + 10000. */
const BUS_OFFSET = 10_000;

export interface NodeSettings {
  nodeTimeoutMs: number;
  appendOnly: boolean;
  maxmemoryPolicy: string;
}

export class ClusterNodeProcess {
  readonly dir = mkdtempSync(join(tmpdir(), 'oiq-cluster-'));
  /** The node's cluster id (stable across restarts: it lives in nodes.conf). */
  id = '';
  /** False once kill() was asked for and until restart: a node the test wants down. */
  wanted = false;
  private child: ChildProcess | undefined;
  /** What redis-server printed before its log file opened (a bad option is reported only there). */
  private stderr = '';
  private client: Redis | undefined;

  constructor(public port: number, private readonly settings: NodeSettings) {}

  get pid(): number {
    return this.child?.pid ?? 0;
  }

  /** The admin client while the node is wanted up (undefined while killed). */
  get admin(): Redis | undefined {
    return this.client;
  }

  /** Spawns redis-server and resolves once this very process answers with its data loaded. */
  async start(timeoutMs = 10_000): Promise<void> {
    const child = spawn('redis-server', this.args(), { stdio: ['ignore', 'ignore', 'pipe'] });
    this.stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (this.stderr = (this.stderr + chunk.toString('utf8')).slice(-2_000)));
    let spawnError: Error | undefined;
    child.once('error', (err) => (spawnError = err));
    this.child = child;
    this.wanted = true;
    const deadline = Date.now() + timeoutMs;
    while ((await loadedPid(this.port)) !== child.pid) {
      const gone = spawnError ?? (child.exitCode !== null || child.signalCode !== null ? 'exited' : undefined);
      if (gone !== undefined || Date.now() > deadline) {
        await this.kill();
        throw new Error(`redis-server on port ${this.port} ${gone ? `failed (${String(gone)})` : `did not answer within ${timeoutMs} ms`}`);
      }
      await sleep(20);
    }
    this.client = adminClient(this.port);
    this.id = String(await this.client.cluster('MYID'));
  }

  /** SIGKILL; resolves once the process has exited. */
  async kill(): Promise<void> {
    this.wanted = false;
    this.client?.disconnect();
    this.client = undefined;
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  /** For process exit, where nothing can be awaited: SIGKILL and remove the folder. */
  killNow(): void {
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    this.remove();
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  logTail(lines = 20): string {
    const file = join(this.dir, 'redis.log');
    const text = existsSync(file) ? readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n') : '(no log)';
    return `--- 127.0.0.1:${this.port} (${this.dir}/redis.log) ---\n${this.stderr}${text}`;
  }

  private args(): string[] {
    const { dir } = this;
    return [
      '--port', String(this.port), '--bind', '127.0.0.1', '--dir', dir, '--logfile', join(dir, 'redis.log'),
      '--cluster-enabled', 'yes', '--cluster-config-file', join(dir, 'nodes.conf'),
      '--cluster-node-timeout', String(this.settings.nodeTimeoutMs), '--cluster-require-full-coverage', 'no',
      '--appendonly', this.settings.appendOnly ? 'yes' : 'no', '--appendfsync', 'always', '--save', '',
      '--repl-diskless-sync-delay', '0', '--maxmemory-policy', this.settings.maxmemoryPolicy,
    ];
  }
}

/**
 * `count` ports whose bus ports (+10000) are free too. All of them sit below the kernel's ephemeral
 * range (32768+ on Linux), so no outgoing connection takes one between this check and redis-server's bind.
 */
export async function clusterPorts(count: number, taken = new Set<number>()): Promise<number[]> {
  const ports: number[] = [];
  for (let attempt = 0; ports.length < count; attempt++) {
    if (attempt > 500) throw new Error(`found only ${ports.length} of ${count} free port pairs in 12000-32000`);
    const port = 12_000 + Math.floor(Math.random() * 10_000);
    const bus = port + BUS_OFFSET;
    if (taken.has(port) || taken.has(bus) || !(await canListen(port)) || !(await canListen(bus))) continue;
    taken.add(port).add(bus);
    ports.push(port);
  }
  return ports;
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** The pid of the redis-server answering on `port` once it has loaded its data, else undefined. */
async function loadedPid(port: number): Promise<number | undefined> {
  const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, enableReadyCheck: false });
  client.on('error', () => {});
  try {
    await client.connect();
    const info = await client.info();
    if (!/^loading:0\r?$/m.test(info)) return undefined;
    return Number(/^process_id:(\d+)/m.exec(info)?.[1]);
  } catch {
    return undefined;
  } finally {
    // A refused connection has ended already; disconnect() would still arm ioredis' 2 s close timer.
    if (client.status !== 'end') client.disconnect();
  }
}

/** Kept open while the node is up; bounded so a poll never hangs on a node that stopped answering. */
function adminClient(port: number): Redis {
  const client = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 1, commandTimeout: 8_000, retryStrategy: () => 100 });
  client.on('error', () => {});
  return client;
}

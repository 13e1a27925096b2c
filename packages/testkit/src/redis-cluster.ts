// A real Redis Cluster of a test's own (see docs "A local cluster in tests"): redis-server processes
// on loopback, joined by `redis-cli --cluster create`, with the operations failover and resharding
// tests need. Admin commands go through plain single-node clients: the cluster client's routing is
// what the tests are about, so the kit does not lean on it.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ClusterNodeProcess, clusterPorts, type NodeSettings } from './redis-cluster-node.js';
import { SLOT_COUNT, clusterProblems, readReport, type NodeLine, type NodeReport } from './redis-cluster-view.js';
import { requireTools } from './tools.js';
import { sleep } from './wait.js';

export interface RedisClusterOptions {
  /** At least 3 (redis-cli's minimum). Default 3. */
  masters?: number;
  /** Default 1. */
  replicasPerMaster?: number;
  /** AOF with fsync on every write. Default true. */
  appendOnly?: boolean;
  /** Default noeviction. */
  maxmemoryPolicy?: string;
  /** cluster-node-timeout: how long a silent node takes to be flagged failing. Default 1000. */
  nodeTimeoutMs?: number;
}

export interface ClusterNode {
  port: number;
  host: '127.0.0.1';
  id: string;
  role: 'master' | 'replica';
  masterId?: string;
  pid: number;
}

export interface ClusterMaster extends ClusterNode {
  role: 'master';
  /** Inclusive ranges. */
  slots: [number, number][];
}

export interface RedisCluster {
  /** "127.0.0.1:p1,127.0.0.1:p2,..." (every node), the form of REDIS_CLUSTER_NODES. */
  seeds: string;
  /** The nodes that are up, each with the role it reports itself in CLUSTER NODES. */
  nodes(): Promise<ClusterNode[]>;
  masters(): Promise<ClusterMaster[]>;
  /** Which master serves this slot now (the newest config epoch wins while a change spreads). */
  masterOfSlot(slot: number): Promise<ClusterMaster>;
  /** SIGKILL one node's process (for failover tests); resolves when it has exited. */
  kill(port: number): Promise<void>;
  /** Starts a killed node again on its port with its data folder and nodes.conf; it rejoins (as a replica if it was failed over). */
  restart(port: number): Promise<void>;
  /**
   * Resolves when every node that is up answers, has cluster_state:ok and all 16384 slots ok, no slot is
   * on a killed node, the nodes agree on slot ownership, and every replica has master_link_status:up
   * (a master killed before its replica synced is never replaced).
   */
  waitUntilHealthy(timeoutMs?: number): Promise<void>;
  /** Resolves once a replica of `oldMasterPort` has been promoted and the cluster serves every slot again. */
  waitForFailover(oldMasterPort: number, timeoutMs?: number): Promise<{ newMasterPort: number; ms: number }>;
  /** Moves one slot with its keys to another master, online, the way `redis-cli --cluster reshard` does. */
  moveSlot(slot: number, toPort: number): Promise<void>;
  /** Kills every node and removes the folders; never throws. */
  stop(): Promise<void>;
}

const run = promisify(execFile);
const MIGRATE_BATCH = 100;
const MIGRATE_TIMEOUT_MS = 5_000;

export async function startRedisCluster(options: RedisClusterOptions = {}): Promise<RedisCluster> {
  const masters = options.masters ?? 3;
  const replicas = options.replicasPerMaster ?? 1;
  requireTools(['redis-server', 'redis-cli'], 'a local Redis Cluster');
  if (masters < 3) throw new Error(`a Redis Cluster needs at least 3 masters, not ${masters}`);
  const settings: NodeSettings = {
    nodeTimeoutMs: options.nodeTimeoutMs ?? 1_000,
    appendOnly: options.appendOnly ?? true,
    maxmemoryPolicy: options.maxmemoryPolicy ?? 'noeviction',
  };
  const taken = new Set<number>();
  const nodes = (await clusterPorts(masters * (1 + replicas), taken)).map((port) => new ClusterNodeProcess(port, settings));
  // A test that times out or forgets stop() must not leave six redis-servers running on a shared machine.
  const killOnExit = () => nodes.forEach((node) => node.killNow());
  process.once('exit', killOnExit);
  try {
    await Promise.all(nodes.map((node) => startOnFreePort(node, taken)));
    const addresses = nodes.map((node) => `127.0.0.1:${node.port}`);
    await run('redis-cli', ['--cluster', 'create', ...addresses, '--cluster-replicas', String(replicas), '--cluster-yes'], { timeout: 30_000 })
      .catch((err: Error & { stdout?: string; stderr?: string }) => {
        throw new Error(`redis-cli --cluster create failed: ${err.message}\n${err.stdout ?? ''}${err.stderr ?? ''}`);
      });
    await untilHealthy(nodes, 20_000);
    return clusterOf(nodes, killOnExit);
  } catch (err) {
    const failure = withLogs(nodes, `Redis Cluster did not start: ${(err as Error).message}`, err);
    process.removeListener('exit', killOnExit);
    await stopNodes(nodes);
    throw failure;
  }
}

/** A port that was free a moment ago can be taken before redis-server binds it: then try another. */
async function startOnFreePort(node: ClusterNodeProcess, taken: Set<number>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await node.start();
    } catch (err) {
      if (attempt === 3 || !node.logTail().includes('Address already in use')) throw err;
      node.port = (await clusterPorts(1, taken))[0] ?? node.port;
    }
  }
}

function clusterOf(nodes: ClusterNodeProcess[], killOnExit: () => void): RedisCluster {
  const byPort = (port: number) => {
    const node = nodes.find((n) => n.port === port);
    if (!node) throw new Error(`no cluster node on port ${port}`);
    return node;
  };
  const toNode = (report: NodeReport): ClusterNode => asClusterNode(report.self, byPort(report.port).pid);
  const masters = async () =>
    (await answeringReports(nodes)).filter((r) => r.self.flags.includes('master')).map((r) => ({ ...toNode(r), role: 'master' as const, slots: r.self.slots }));
  const masterOfSlot = async (slot: number) => {
    if (!Number.isInteger(slot) || slot < 0 || slot >= SLOT_COUNT) throw new Error(`no slot ${slot}`);
    const epochs = new Map((await answeringReports(nodes)).map((r) => [r.port, r.self.configEpoch]));
    const claims = (await masters()).filter((m) => m.slots.some(([from, to]) => slot >= from && slot <= to));
    const owner = claims.sort((a, b) => (epochs.get(b.port) ?? 0) - (epochs.get(a.port) ?? 0))[0];
    if (!owner) throw new Error(`no master that is up serves slot ${slot}`);
    return owner;
  };
  const guarded = <T>(what: string, work: () => Promise<T>) =>
    work().catch((err: unknown) => {
      throw withLogs(nodes, `${what}: ${(err as Error).message}`, err);
    });

  return {
    seeds: nodes.map((node) => `127.0.0.1:${node.port}`).join(','),
    nodes: async () => (await answeringReports(nodes)).map(toNode),
    masters,
    masterOfSlot,
    kill: (port) => byPort(port).kill(),
    async restart(port) {
      const node = byPort(port);
      if (node.wanted) throw new Error(`the node on port ${port} is running; kill it first`);
      await guarded(`restarting :${port}`, () => node.start());
    },
    waitUntilHealthy: (timeoutMs = 20_000) => guarded('the cluster is not healthy', () => untilHealthy(nodes, timeoutMs)),
    waitForFailover: (oldMasterPort, timeoutMs = 20_000) =>
      guarded(`no failover of :${oldMasterPort}`, () => failover(nodes, byPort(oldMasterPort), timeoutMs)),
    moveSlot: (slot, toPort) => guarded(`moving slot ${slot} to :${toPort}`, async () => {
      const source = await masterOfSlot(slot);
      if (source.port === toPort) return;
      const current = await masters();
      if (!current.some((m) => m.port === toPort)) throw new Error(`:${toPort} is not a master`);
      const others = current.filter((m) => m.port !== source.port && m.port !== toPort).map((m) => byPort(m.port));
      await moveSlotKeys(slot, byPort(source.port), byPort(toPort), others);
      // Replicas learn the new owner by gossip; wait, so that no client refreshes its slot map from a stale one.
      await until(5_000, async () => {
        const views = await Promise.all(up(nodes).map(readReport));
        return views.some((v) => !v || !owns(v.lines, byPort(toPort).id, slot)) ? [`not every node sees slot ${slot} on :${toPort} yet`] : [];
      });
    }),
    async stop() {
      process.removeListener('exit', killOnExit);
      await stopNodes(nodes);
    },
  };
}

function asClusterNode(self: NodeLine, pid: number): ClusterNode {
  const master = self.flags.includes('master');
  return {
    port: self.port, host: '127.0.0.1', id: self.id, role: master ? 'master' : 'replica', pid,
    ...(!master && self.masterId ? { masterId: self.masterId } : {}),
  };
}

const up = (nodes: ClusterNodeProcess[]) => nodes.filter((node) => node.wanted);
const owns = (lines: NodeLine[], id: string, slot: number) =>
  lines.some((l) => l.id === id && l.slots.some(([from, to]) => slot >= from && slot <= to));

async function answeringReports(nodes: ClusterNodeProcess[]): Promise<NodeReport[]> {
  const live = up(nodes);
  const reports = await Promise.all(live.map(readReport));
  const silent = live.filter((_, i) => reports[i] === undefined).map((node) => `:${node.port}`);
  if (silent.length > 0) throw new Error(`no answer from ${silent.join(', ')}`);
  return reports as NodeReport[];
}

function untilHealthy(nodes: ClusterNodeProcess[], timeoutMs: number): Promise<void> {
  return until(timeoutMs, async () => clusterProblems(up(nodes), await Promise.all(up(nodes).map(readReport)), { replicasSynced: true }));
}

async function failover(nodes: ClusterNodeProcess[], old: ClusterNodeProcess, timeoutMs: number) {
  const started = Date.now();
  const candidates = (await Promise.all(up(nodes).map(readReport))).filter((r) => r?.self.masterId === old.id).map((r) => r!.port);
  if (candidates.length === 0) throw new Error(`:${old.port} has no replica that is up`);
  let newMasterPort: number | undefined;
  await until(timeoutMs, async () => {
    const reports = await Promise.all(up(nodes).map(readReport));
    newMasterPort ??= reports.find((r) => r && candidates.includes(r.port) && r.self.flags.includes('master'))?.port;
    if (newMasterPort === undefined) return [`no replica of :${old.port} promoted yet`];
    return clusterProblems(up(nodes), reports, { replicasSynced: false });
  });
  return { newMasterPort: newMasterPort!, ms: Date.now() - started };
}

/** redis-cli's clusterManagerMoveSlot: importing/migrating, MIGRATE in batches, then SETSLOT NODE target first. */
async function moveSlotKeys(slot: number, source: ClusterNodeProcess, target: ClusterNodeProcess, others: ClusterNodeProcess[]) {
  const [from, to] = [source.admin, target.admin];
  if (!from || !to) throw new Error(`:${source.port} or :${target.port} is down`);
  await to.cluster('SETSLOT', slot, 'IMPORTING', source.id);
  await from.cluster('SETSLOT', slot, 'MIGRATING', target.id);
  for (;;) {
    const keys = (await from.callBuffer('CLUSTER', 'GETKEYSINSLOT', slot, MIGRATE_BATCH)) as Buffer[];
    if (keys.length === 0) break;
    await from.call('MIGRATE', '127.0.0.1', target.port, '', 0, MIGRATE_TIMEOUT_MS, 'KEYS', ...keys);
  }
  await to.cluster('SETSLOT', slot, 'NODE', target.id);
  await from.cluster('SETSLOT', slot, 'NODE', target.id);
  for (const other of others) await other.admin?.cluster('SETSLOT', slot, 'NODE', target.id);
}

/** Polls `check` until it finds no problem; on timeout fails with the last problems it found. */
async function until(timeoutMs: number, check: () => Promise<string[]>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const problems = await check();
    if (problems.length === 0) return;
    if (Date.now() > deadline) throw new Error(`still after ${timeoutMs} ms: ${problems.join('; ')}`);
    await sleep(50);
  }
}

function withLogs(nodes: ClusterNodeProcess[], message: string, cause: unknown): Error {
  return new Error(`${message}\n\n${nodes.map((node) => node.logTail()).join('\n\n')}`, { cause });
}

async function stopNodes(nodes: ClusterNodeProcess[]): Promise<void> {
  await Promise.allSettled(nodes.map(async (node) => {
    await node.kill().catch(() => {});
    node.remove();
  }));
}

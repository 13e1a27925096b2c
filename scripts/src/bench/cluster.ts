import { shardTag, slotOf } from '@outboundiq/core';
import { oneRedisBackend, startClusterBackend, type ClusterBackend, type PipelineBackend } from './backend.js';
import { benchThroughput, type BenchContext, type PipelineShape, type ThroughputRow } from './e2e.js';
import { peakRssMiB, round } from './procs.js';

export interface ClusterSizes {
  dials: number;
  chunk: number;
  window: number;
  windowPerCompany: number;
  companies: number;
  rounds: number;
  masters: number;
  shards: number;
}

/** One closed-loop run on one backend. */
export interface ClusterRun extends ThroughputRow {
  backend: string;
  shards: number;
  round: number;
}

/** A backend's runs together: what the ratio is taken of. */
export interface BackendSummary {
  backend: string;
  shards: number;
  dials: number;
  seconds: number;
  dialsPerSecond: number;
  /** Commands every master together processed per dial delivered. */
  redisCommandsPerDial: number;
  /** CPU of every redis-server (a cluster's replicas included) per dial. */
  redisCpuUsPerDial: number;
  /** CPU of every process (bench, receiver, apps, Redis) per dial. */
  totalCpuUsPerDial: number;
}

/** One master over every cluster run. */
export interface MasterShare {
  node: string;
  slots: number;
  shards: number;
  commands: number;
  /** Of all the masters' commands: even shares are what adding masters divides. */
  commandShare: number;
  cpuSeconds: number;
  cpuShare: number;
  /** Share of one core over the runs' wall time. */
  cpuOfOneCore: number;
}

export interface ClusterResult {
  masters: number;
  replicasPerMaster: number;
  shards: number;
  appendOnly: boolean;
  shape: PipelineShape;
  runs: ClusterRun[];
  summary: BackendSummary[];
  /** Cluster dials/s over one Redis's at S = 1 (the goal: at least 0.8), and at the cluster's S. */
  clusterOverOneRedis: number | null;
  clusterOverOneRedisSameShards: number | null;
  perMaster: MasterShare[];
  /** Highest VmHWM of a master, MiB. */
  peakMasterRssMiB: number | null;
}

const REPLICAS_PER_MASTER = 1;
const APPEND_ONLY = false;

/**
 * Section 7: the same closed loop on a local Redis Cluster and on the bench's one Redis, in the same
 * run and alternating, so that the ratio compares like with like on a machine that is also busy.
 */
export async function benchCluster(ctx: BenchContext, sizes: ClusterSizes, log: (message: string) => void): Promise<ClusterResult> {
  const shape: PipelineShape = { batchers: 1, senders: 1, companies: sizes.companies, webhooksPerCompany: 1 };
  log(`section 7: starting a Redis Cluster of ${sizes.masters} masters + ${sizes.masters * REPLICAS_PER_MASTER} replicas`);
  const cluster = await startClusterBackend({ masters: sizes.masters, replicasPerMaster: REPLICAS_PER_MASTER, appendOnly: APPEND_ONLY, shards: sizes.shards });
  try {
    const backends: PipelineBackend[] = [oneRedisBackend(ctx.redis, ctx.redisUrl, 1), oneRedisBackend(ctx.redis, ctx.redisUrl, sizes.shards), cluster];
    const runs: ClusterRun[] = [];
    for (let r = 0; r < sizes.rounds; r++) {
      for (const backend of r % 2 === 0 ? backends : [...backends].reverse()) {
        log(`section 7: round ${r + 1}/${sizes.rounds}, ${backend.label}`);
        const row = await benchThroughput({ ...ctx, backend }, shape, sizes, 'bench-cluster');
        runs.push({ ...row, backend: backend.label, shards: backend.shards, round: r + 1 });
      }
    }
    const peaks = [...cluster.masterPids.values()].map(peakRssMiB).filter((m): m is number => m !== null);
    const summary = backends.map((b) => summarise(b, runs.filter((run) => run.backend === b.label)));
    const ratio = (i: number) => (summary[i]!.dialsPerSecond > 0 ? round(summary[2]!.dialsPerSecond / summary[i]!.dialsPerSecond, 2) : null);
    return {
      masters: sizes.masters,
      replicasPerMaster: REPLICAS_PER_MASTER,
      shards: sizes.shards,
      appendOnly: APPEND_ONLY,
      shape,
      runs,
      summary,
      clusterOverOneRedis: ratio(0),
      clusterOverOneRedisSameShards: ratio(1),
      perMaster: await masterShares(cluster, runs.filter((run) => run.backend === cluster.label)),
      peakMasterRssMiB: peaks.length > 0 ? Math.max(...peaks) : null,
    };
  } finally {
    await cluster.stop();
  }
}

function summarise(backend: PipelineBackend, runs: ClusterRun[]): BackendSummary {
  const dials = runs.reduce((sum, r) => sum + r.dials, 0);
  const seconds = runs.reduce((sum, r) => sum + r.seconds, 0);
  const perDial = (us: (r: ClusterRun) => number) => (dials > 0 ? round(runs.reduce((sum, r) => sum + us(r) * r.dials, 0) / dials, 1) : 0);
  const redisUs = (r: ClusterRun) => (r.cpuUsPerDial.redis ?? 0) + (r.cpuUsPerDial['redis-replicas'] ?? 0);
  const totalUs = (r: ClusterRun) => Object.values(r.cpuUsPerDial).reduce((a, b) => a + b, 0);
  const commands = runs.reduce((sum, r) => sum + (r.masters ?? []).reduce((s, m) => s + m.commands, 0), 0);
  return {
    backend: backend.label,
    shards: backend.shards,
    dials,
    seconds: round(seconds, 3),
    dialsPerSecond: seconds > 0 ? round(dials / seconds) : 0,
    redisCommandsPerDial: dials > 0 ? round(commands / dials, 2) : 0,
    redisCpuUsPerDial: perDial(redisUs),
    totalCpuUsPerDial: perDial(totalUs),
  };
}

/** Each master's commands and CPU summed over the cluster's runs, with the slots and shards it serves. */
async function masterShares(cluster: ClusterBackend, runs: ClusterRun[]): Promise<MasterShare[]> {
  const slots = await cluster.slotsByMaster();
  const shardSlots = Array.from({ length: cluster.shards }, (_, k) => slotOf(`{${shardTag(k, cluster.shards)}}`));
  const wall = runs.reduce((sum, r) => sum + r.seconds, 0);
  const totals = new Map<string, { commands: number; cpuSeconds: number }>();
  for (const sample of runs.flatMap((r) => r.masters ?? [])) {
    const t = totals.get(sample.node) ?? { commands: 0, cpuSeconds: 0 };
    totals.set(sample.node, { commands: t.commands + sample.commands, cpuSeconds: t.cpuSeconds + sample.cpuSeconds });
  }
  const allCommands = [...totals.values()].reduce((sum, t) => sum + t.commands, 0);
  const allCpu = [...totals.values()].reduce((sum, t) => sum + t.cpuSeconds, 0);
  return [...totals].map(([node, t]) => {
    const ranges = slots.get(node) ?? [];
    const inRanges = (slot: number) => ranges.some(([from, to]) => slot >= from && slot <= to);
    return {
      node,
      slots: ranges.reduce((sum, [from, to]) => sum + to - from + 1, 0),
      shards: shardSlots.filter(inRanges).length,
      commands: t.commands,
      commandShare: allCommands > 0 ? round(t.commands / allCommands, 3) : 0,
      cpuSeconds: round(t.cpuSeconds, 2),
      cpuShare: allCpu > 0 ? round(t.cpuSeconds / allCpu, 3) : 0,
      cpuOfOneCore: wall > 0 ? round(t.cpuSeconds / wall, 2) : 0,
    };
  });
}

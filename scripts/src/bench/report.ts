import type { ClusterResult } from './cluster.js';
import type { LightLoadRow, ThroughputRow } from './e2e.js';
import type { HttpRow } from './http-ceiling.js';
import type { MemoryRow } from './memory.js';
import type { NaiveRow } from './naive.js';
import type { ProducerRow } from './producer-bench.js';
import { cpuText, table, usText } from './table.js';

export interface BenchResults {
  generatedAt: string;
  smoke: boolean;
  machine: { cpus: number; cpuModel: string; loadAverage: { atStart: number; atEnd: number }; node: string; redis: string };
  options: Record<string, unknown>;
  producer: ProducerRow[];
  endToEnd: ThroughputRow[];
  lightLoad: LightLoadRow | null;
  naive: (NaiveRow & { oursOverNaive: number | null }) | null;
  httpCeiling: HttpRow[];
  memory: { redis: MemoryRow[]; peakRssMiB: Record<string, number> };
  /** Section 7; absent from results written before it existed. */
  cluster?: ClusterResult | null;
}

/**
 * Dials/s the whole machine could deliver if every core did nothing but this pipeline at the CPU
 * cost per dial measured: the limit when, as on a small box, every process shares the cores.
 */
function machineBound(usPerDial: Record<string, number>, cpus: number): number {
  const total = Object.values(usPerDial).reduce((a, b) => a + b, 0);
  return total > 0 ? Math.round((cpus * 1e6) / total) : 0;
}

export function printReport(r: BenchResults): void {
  const m = r.machine;
  console.log(`outboundIQ bench ${r.generatedAt}${r.smoke ? ' (SMOKE: sizes too small to mean anything)' : ''}`);
  console.log(`${m.cpus} x ${m.cpuModel}, Node ${m.node}, Redis ${m.redis}; every process on this machine. CPU: share of one core.`);
  const load = `${m.loadAverage.atStart.toFixed(1)} at start, ${m.loadAverage.atEnd.toFixed(1)} at end`;
  console.log(`Load average (1 min) ${load}${Math.max(m.loadAverage.atStart, m.loadAverage.atEnd) > m.cpus ? ': other work shared the CPUs, figures are low' : ''}.`);
  console.log(
    table(
      '1. Producer, one process',
      ['method', 'companies', 'dials', 'dials/s', 'CPU', 'CPU us/dial', 'producer core bound/s'],
      r.producer.map((p) => [p.method, p.companies, p.dials, p.dialsPerSecond, cpuText(p.cpu), usText(p.cpuUsPerDial), Math.round(1e6 / (p.cpuUsPerDial.bench ?? Infinity))]),
    ),
  );
  console.log(
    table(
      '2. End to end (closed loop), latency publish -> receipt',
      ['batchers+senders', 'companies', 'webhooks', 'dials/s', 'HTTP/s', 'mean batch', 'p50 ms', 'p95 ms', 'p99 ms', 'CPU', 'CPU us/dial', 'machine bound/s'],
      r.endToEnd.map((e) => [
        `${e.batchers}+${e.senders}`, e.companies, e.webhooksPerCompany, e.dialsPerSecond, e.httpPerSecond, e.meanBatch,
        e.latencyMs.p50, e.latencyMs.p95, e.latencyMs.p99, cpuText(e.cpu), usText(e.cpuUsPerDial), machineBound(e.cpuUsPerDial, r.machine.cpus),
      ]),
    ),
  );
  if (r.lightLoad) {
    const l = r.lightLoad;
    console.log(
      table('3. Light load, publish() one at a time', ['companies', 'target/s', 'achieved/s', 'dials', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms'], [
        [l.companies, l.targetRate, l.achievedRate, l.dials, l.latencyMs.p50, l.latencyMs.p95, l.latencyMs.p99, l.latencyMs.max],
      ]),
    );
  }
  if (r.naive) {
    const n = r.naive;
    console.log(
      table('4. Naive design (a BullMQ job and a got POST per dial), 1 company, 1 webhook', ['dials', 'dials/s', 'p50 ms', 'p99 ms', 'ours / naive', 'CPU', 'CPU us/dial'], [
        [n.dials, n.dialsPerSecond, n.latencyMs.p50, n.latencyMs.p99, n.oursOverNaive === null ? null : `${n.oursOverNaive}x`, cpuText(n.cpu), usText(n.cpuUsPerDial)],
      ]),
    );
  }
  console.log(
    table(
      '5. HTTP client ceiling, 100-dial bodies to the local receiver',
      ['client', 'in flight', 'body bytes', 'POSTs/s', 'client CPU us/POST', 'CPU'],
      r.httpCeiling.map((h) => [h.client, h.concurrency, h.bodyBytes, h.postsPerSecond, h.clientCpuUsPerPost, cpuText(h.cpu)]),
    ),
  );
  console.log(table('6a. Redis memory per pending dial', ['layout', 'dials', 'bytes/dial', 'MiB'], r.memory.redis.map((x) => [x.layout, x.pendingDials, x.bytesPerDial, x.usedMemoryDeltaMiB])));
  console.log(table('6b. Peak RSS (VmHWM), MiB, highest over the run', ['process', 'MiB'], Object.entries(r.memory.peakRssMiB).map(([k, v]) => [k, v])));
  if (r.cluster) printCluster(r.cluster, r.machine.cpus);
}

function printCluster(c: ClusterResult, cpus: number): void {
  const s = c.shape;
  const what = `${s.batchers}+${s.senders}, ${s.companies.toLocaleString('en-US')} companies x ${s.webhooksPerCompany} webhook`;
  const nodes = `${c.masters} masters + ${c.masters * c.replicasPerMaster} replicas, AOF ${c.appendOnly ? 'on' : 'off'}`;
  console.log(
    table(
      `7a. Redis Cluster (${nodes}) beside one Redis, ${what}, runs alternating`,
      ['backend', 'round', 'dials', 'dials/s', 'mean batch', 'p50 ms', 'p99 ms', 'Redis cmds/dial', 'CPU', 'CPU us/dial', 'machine bound/s'],
      c.runs.map((e) => [
        e.backend, e.round, e.dials, e.dialsPerSecond, e.meanBatch, e.latencyMs.p50, e.latencyMs.p99,
        e.masters ? Math.round((e.masters.reduce((sum, m) => sum + m.commands, 0) / e.dials) * 100) / 100 : null,
        cpuText(e.cpu), usText(e.cpuUsPerDial), machineBound(e.cpuUsPerDial, cpus),
      ]),
    ),
  );
  console.log(
    table(
      '7b. Each backend over its runs',
      ['backend', 'dials', 'dials/s', 'cluster / this', 'Redis cmds/dial', 'Redis CPU us/dial', 'all CPU us/dial'],
      // The cluster is the last backend of the summary.
      c.summary.map((b) => [
        b.backend, b.dials, b.dialsPerSecond, b.dialsPerSecond > 0 ? Math.round((c.summary.at(-1)!.dialsPerSecond / b.dialsPerSecond) * 100) / 100 : null,
        b.redisCommandsPerDial, b.redisCpuUsPerDial, b.totalCpuUsPerDial,
      ]),
    ),
  );
  const goal = c.clusterOverOneRedis === null ? '' : `: ${c.clusterOverOneRedis >= 0.8 ? 'within' : 'NOT within'} 20 % of one Redis (goal)`;
  console.log(`cluster / one Redis (S = 1) = ${c.clusterOverOneRedis ?? '-'}${goal}`);
  console.log(
    table(
      `7c. Each master over the cluster's runs (S = ${c.shards}; % of all masters; CPU: share of one core)`,
      ['master', 'slots', 'shards', 'commands', 'commands %', 'CPU s', 'CPU %', 'CPU'],
      c.perMaster.map((m) => [m.node, m.slots, m.shards, m.commands, pct(m.commandShare), m.cpuSeconds, pct(m.cpuShare), `${Math.round(m.cpuOfOneCore * 100)}%`]),
    ),
  );
}

/** 0.262 -> 26.2 (a number, so the column is right-aligned). */
const pct = (share: number) => Math.round(share * 1000) / 10;

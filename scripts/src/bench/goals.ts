import type { ThroughputRow } from './e2e.js';
import type { BenchResults } from './report.js';
import { table } from './table.js';

/**
 * The goals of issue 12 beside what this run measured. A goal is a figure to read, never a test:
 * each row says whether it was met here, what the whole machine could do at the CPU cost measured
 * (every process sharing the cores), and what the cores could do if only one stage ran, so a reader
 * sees which stage limits a row that falls short, and by how much.
 */
interface GoalRow {
  figure: string;
  goal: string;
  measured: string;
  met: boolean | null;
  /** Dials/s the cores could carry at the measured CPU per dial of every process together. */
  machineBound: number | null;
  /** The same for each process alone: the stage that limits is the lowest. */
  stageBounds: Record<string, number>;
  cpuUsPerDial: Record<string, number>;
}

/** In the end-to-end rows the bench process is the producer (it publishes; measuring costs little). */
const stageName = (name: string) => (name === 'bench' ? 'producer' : name.replace(/-1$/, ''));

function bounds(usPerDial: Record<string, number>, cpus: number): { machine: number | null; stages: Record<string, number>; us: Record<string, number> } {
  const us = Object.fromEntries(Object.entries(usPerDial).map(([name, v]) => [stageName(name), v]));
  const total = Object.values(us).reduce((a, b) => a + b, 0);
  const stages = Object.fromEntries(Object.entries(us).filter(([, v]) => v > 0).map(([name, v]) => [name, Math.round((cpus * 1e6) / v)]));
  return { machine: total > 0 ? Math.round((cpus * 1e6) / total) : null, stages, us };
}

const n = (x: number | null | undefined) => (x === null || x === undefined ? '-' : Math.round(x).toLocaleString('en-US'));
const k = (x: number) => (x >= 10_000 ? `${Math.round(x / 1000)}k` : n(x));

function e2eRow(r: BenchResults, figure: string, goal: string, row: ThroughputRow | undefined, met: (row: ThroughputRow) => boolean): GoalRow {
  if (!row) return { figure, goal, measured: 'not run', met: null, machineBound: null, stageBounds: {}, cpuUsPerDial: {} };
  const b = bounds(row.cpuUsPerDial, r.machine.cpus);
  return {
    figure, goal,
    measured: `${n(row.dialsPerSecond)} dials/s, batch ${row.meanBatch}, p50/p99 ${n(row.latencyMs.p50)}/${n(row.latencyMs.p99)} ms (saturated, window ${n(row.window ?? null)})`,
    met: met(row), machineBound: b.machine, stageBounds: b.stages, cpuUsPerDial: b.us,
  };
}

export function goalRows(r: BenchResults): GoalRow[] {
  const e2e = (companies: 'one' | 'many', webhooks: number) =>
    r.endToEnd.find((e) => e.batchers === 1 && e.senders === 1 && (companies === 'one' ? e.companies === 1 : e.companies > 1) && e.webhooksPerCompany === webhooks);
  const many = r.endToEnd.find((e) => e.companies > 1)?.companies ?? 1000;
  const rows: GoalRow[] = [
    e2eRow(r, `end to end, ${n(many)} companies x 1 webhook`, '>= 30,000 dials/s', e2e('many', 1), (e) => e.dialsPerSecond >= 30_000),
    e2eRow(r, `end to end, ${n(many)} companies x 3 webhooks`, '>= 10,000 dials/s, mean batch >= 50', e2e('many', 3), (e) => e.dialsPerSecond >= 10_000 && e.meanBatch >= 50),
    e2eRow(r, 'end to end, 1 company x 1 webhook', '>= 50,000 dials/s, or the machine bound', e2e('one', 1), (e) => e.dialsPerSecond >= 50_000),
  ];
  for (const [companies, goal] of [['many', 60_000], ['one', 100_000]] as const) {
    const p = r.producer.find((x) => x.method === 'publishMany x100' && (companies === 'one' ? x.companies === 1 : x.companies > 1));
    const figure = `publishMany, 100 dials a call, ${companies === 'one' ? '1 company' : `${n(p?.companies ?? many)} companies`}`;
    if (!p) {
      rows.push({ figure, goal: `>= ${n(goal)} dials/s`, measured: 'not run', met: null, machineBound: null, stageBounds: {}, cpuUsPerDial: {} });
      continue;
    }
    const b = bounds(p.cpuUsPerDial, r.machine.cpus);
    rows.push({ figure, goal: `>= ${n(goal)} dials/s`, measured: `${n(p.dialsPerSecond)} dials/s`, met: p.dialsPerSecond >= goal, machineBound: b.machine, stageBounds: b.stages, cpuUsPerDial: b.us });
  }
  const l = r.lightLoad;
  rows.push({
    figure: `light load (${l ? `${n(l.targetRate)} dials/s over ${n(l.companies)} companies` : 'not run'}) p50 / p99`,
    goal: '<= 25 / <= 100 ms',
    measured: l ? `${n(l.latencyMs.p50)} / ${n(l.latencyMs.p99)} ms` : 'not run',
    met: l && l.latencyMs.p50 !== null && l.latencyMs.p99 !== null ? l.latencyMs.p50 <= 25 && l.latencyMs.p99 <= 100 : null,
    machineBound: null, stageBounds: {}, cpuUsPerDial: {},
  });
  rows.push({
    figure: 'ours / naive, 1 + 1, 1 company',
    goal: '>= 25x',
    measured: r.naive?.oursOverNaive ? `${r.naive.oursOverNaive}x` : 'not run',
    met: r.naive?.oursOverNaive ? r.naive.oursOverNaive >= 25 : null,
    machineBound: null, stageBounds: {}, cpuUsPerDial: {},
  });
  const c = r.cluster;
  const clusterRun = c?.summary.at(-1);
  rows.push({
    figure: c ? `Redis Cluster, ${c.masters} masters, S = ${c.shards}, vs one Redis (S = 1)` : 'Redis Cluster vs one Redis',
    goal: 'within 20 %',
    measured: c && c.clusterOverOneRedis !== null ? `${c.clusterOverOneRedis} (${n(clusterRun?.dialsPerSecond)} dials/s; one Redis at S = ${c.shards}: x${c.clusterOverOneRedisSameShards ?? '-'})` : 'not run',
    met: c && c.clusterOverOneRedis !== null ? c.clusterOverOneRedis >= 0.8 : null,
    machineBound: clusterRun && clusterRun.totalCpuUsPerDial > 0 ? Math.round((r.machine.cpus * 1e6) / clusterRun.totalCpuUsPerDial) : null,
    stageBounds: {}, cpuUsPerDial: {},
  });
  return rows;
}

export function printGoals(r: BenchResults): void {
  const rows = goalRows(r);
  console.log(
    table(
      `Goals (issue 12) beside this run${r.smoke ? ' (SMOKE: meaningless sizes)' : ''}; bounds: dials/s ${r.machine.cpus} cores could carry at the CPU per dial measured, all processes / each alone`,
      ['figure', 'goal', 'measured', 'met', 'machine bound/s', 'stage bounds/s (one stage alone)', 'CPU us/dial'],
      rows.map((g) => [
        g.figure, g.goal, g.measured, g.met === null ? '-' : g.met ? 'yes' : 'NO', g.machineBound,
        Object.entries(g.stageBounds).map(([name, v]) => `${name} ${k(v)}`).join(' ') || '-',
        Object.entries(g.cpuUsPerDial).map(([name, v]) => `${name} ${v}`).join(' ') || '-',
      ]),
    ),
  );
}

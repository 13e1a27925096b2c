import { UsageError, positiveNumber, strictArgs } from '../cli.js';

export interface BenchOptions {
  smoke: boolean;
  out: string | undefined;
  /** Print the tables of an existing results file and exit. */
  report: string | undefined;
  only: Set<string>;
  scenario: string | undefined;
  profile: boolean;
  /** Extra environment for the apps, from `--env KEY=VALUE`. */
  appEnv: Record<string, string>;
  producerDials: number;
  manyCompanies: number;
  e2eDials: number;
  chunk: number;
  window: number;
  windowPerCompany: number;
  lightRate: number;
  lightSeconds: number;
  lightCompanies: number;
  naiveDials: number;
  httpSeconds: number;
  httpConcurrency: number;
  memoryDials: number;
  /** Dials per cluster-section run; the end-to-end count unless given. */
  clusterDials: number;
  clusterRounds: number;
  clusterMasters: number;
  clusterShards: number;
}

export const SECTIONS = ['producer', 'e2e', 'light', 'naive', 'http', 'memory', 'cluster', 'delivery-log'] as const;

const FULL = {
  'producer-dials': 100_000,
  'many-companies': 1_000,
  'e2e-dials': 100_000,
  chunk: 1_000,
  window: 20_000,
  'window-per-company': 100,
  'light-rate': 200,
  'light-seconds': 10,
  'light-companies': 200,
  'naive-dials': 10_000,
  'http-seconds': 3,
  'http-concurrency': 64,
  'memory-dials': 100_000,
  // Each round runs every backend once, the order reversed every other round: load that drifts
  // during the run then weighs on one Redis and the cluster alike.
  'cluster-rounds': 2,
  'cluster-masters': 3,
  'cluster-shards': 16,
  'cluster-dials': 60_000,
};

const SMOKE: typeof FULL = {
  'producer-dials': 2_000,
  'many-companies': 20,
  'e2e-dials': 2_000,
  chunk: 200,
  window: 1_000,
  'window-per-company': 100,
  'light-rate': 100,
  'light-seconds': 1,
  'light-companies': 20,
  'naive-dials': 300,
  'http-seconds': 0.3,
  'http-concurrency': 8,
  'memory-dials': 1_000,
  'cluster-rounds': 1,
  'cluster-masters': 3,
  'cluster-shards': 16,
  'cluster-dials': 2_000,
};

export const USAGE = `pnpm bench [--] [options]    throughput, latency, memory and limits on this machine; tables, and bench/results.json
  --help                  this text
  --smoke                 tiny sizes, well under a minute (what the smoke test runs)
  --only a,b              sections: ${SECTIONS.join(', ')} (default all)
  --scenario TEXT         only end-to-end scenarios whose label contains TEXT
  --profile               run the apps with --cpu-prof (profiles in bench/profiles)
  --env KEY=VALUE         extra environment for the apps (repeatable), e.g. --env SENDER_CONCURRENCY=128
  --report FILE           print the tables of an earlier results.json, run nothing
  --out FILE              where to write the results (default bench/results.json)
  ${Object.entries(FULL).map(([k, v]) => `--${k} N (default ${v})`).join('\n  ')}
section cluster: 1 batcher + 1 sender, --many-companies companies x 1 webhook, closed loop, on the
  bench's one Redis at S = 1, on it at S = --cluster-shards, and on a local Redis Cluster (--cluster-masters
  masters, one replica each, AOF off) at that S; prints dials/s, the ratio, each master's share of commands
section delivery-log: Redis bytes per kept log record and per kept failed batch (MEMORY USAGE), then 1+1,
  --many-companies companies x 1 webhook, --e2e-dials, with the log and without (DELIVERY_LOG_ENABLED=false), on/off/off/on`;

/** The bench's options from its arguments (`--help` is the caller's: see commandLine); throws UsageError. */
export function parseOptions(argv: string[]): BenchOptions {
  const numeric = Object.fromEntries(Object.keys(FULL).map((k) => [k, { type: 'string' as const }]));
  const values = strictArgs(argv, {
    smoke: { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    only: { type: 'string' },
    scenario: { type: 'string' },
    out: { type: 'string' },
    report: { type: 'string' },
    env: { type: 'string', multiple: true },
    ...numeric,
  });
  const base = values.smoke ? SMOKE : FULL;
  const num = (name: keyof typeof FULL): number => {
    const raw = (values as Record<string, unknown>)[name];
    if (raw === undefined) return base[name];
    return positiveNumber(`--${name}`, String(raw));
  };
  const only = new Set(values.only ? values.only.split(',').map((s) => s.trim()) : SECTIONS);
  for (const s of only) if (!(SECTIONS as readonly string[]).includes(s)) throw new UsageError(`--only: unknown section ${JSON.stringify(s)} (sections: ${SECTIONS.join(', ')})`);
  return {
    smoke: values.smoke ?? false,
    out: values.out,
    report: values.report,
    only,
    scenario: values.scenario,
    profile: values.profile ?? false,
    appEnv: Object.fromEntries(
      (values.env ?? []).map((pair) => {
        const at = pair.indexOf('=');
        if (at < 1) throw new UsageError(`--env wants KEY=VALUE, not ${JSON.stringify(pair)}`);
        return [pair.slice(0, at), pair.slice(at + 1)];
      }),
    ),
    producerDials: num('producer-dials'),
    manyCompanies: num('many-companies'),
    e2eDials: num('e2e-dials'),
    chunk: num('chunk'),
    window: num('window'),
    windowPerCompany: num('window-per-company'),
    lightRate: num('light-rate'),
    lightSeconds: num('light-seconds'),
    lightCompanies: num('light-companies'),
    naiveDials: num('naive-dials'),
    httpSeconds: num('http-seconds'),
    httpConcurrency: num('http-concurrency'),
    memoryDials: num('memory-dials'),
    clusterDials: num('cluster-dials'),
    clusterRounds: num('cluster-rounds'),
    clusterMasters: num('cluster-masters'),
    clusterShards: num('cluster-shards'),
  };
}

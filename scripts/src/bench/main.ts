/**
 * `pnpm bench`: the pipeline's throughput, latency, memory and limits on this machine, against a
 * Redis and an HTTPS receiver of its own, with the apps as real child processes. Prints tables and
 * writes bench/results.json. Speed is shown here, never asserted by a test.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { REPO_ROOT, ensureTestCa, requireTools, startRedisServer } from '@outboundiq/testkit';
import { Redis } from 'ioredis';
import { benchLightLoad, benchThroughput, type BenchContext, type PipelineShape, type ThroughputRow } from './e2e.js';
import { benchCluster } from './cluster.js';
import { benchDeliveryLog } from './delivery-log.js';
import { benchHttpCeiling } from './http-ceiling.js';
import { benchRedisMemory } from './memory.js';
import { benchNaive } from './naive.js';
import { USAGE, parseOptions } from './options.js';
import { UsageError, commandLine, exitWithError } from '../cli.js';
import { printGoals } from './goals.js';
import { peakRssMiB, redisPid } from './procs.js';
import { benchProducer } from './producer-bench.js';
import { startBenchReceiver } from './receiver.js';
import { printReport, type BenchResults } from './report.js';

const options = commandLine('pnpm bench', USAGE, parseOptions);
if (options.report) {
  let earlier: BenchResults;
  try {
    earlier = JSON.parse(readFileSync(options.report, 'utf8')) as BenchResults;
  } catch (err) {
    exitWithError('pnpm bench', new UsageError(`--report: cannot read ${options.report}: ${(err as Error).message}`));
  }
  printReport(earlier);
  printGoals(earlier);
  process.exit(0);
}
try {
  requireTools(['redis-server', 'openssl', ...(options.only.has('cluster') ? (['redis-cli'] as const) : [])], 'the bench runs Redis and an HTTPS receiver of its own');
} catch (err) {
  exitWithError('pnpm bench', err);
}
const out = options.out ?? join(REPO_ROOT, 'bench', 'results.json');
const caDir = join(REPO_ROOT, '.test-ca');
const ca = ensureTestCa(caDir);
const server = await startRedisServer();
const redis = new Redis(server.url, { maxRetriesPerRequest: null, connectionName: 'bench' });
const receiver = await startBenchReceiver({ ...ca, certPath: join(caDir, 'server.pem'), keyPath: join(caDir, 'server-key.pem') });
const profileDir = join(REPO_ROOT, 'bench', 'profiles');
if (options.profile) mkdirSync(profileDir, { recursive: true });
const ctx: BenchContext = {
  redis,
  redisUrl: server.url,
  caPath: ca.caPath,
  receiver,
  appEnv: options.appEnv,
  ...(options.profile ? { execArgv: ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] } : {}),
};

const results: BenchResults = {
  generatedAt: new Date().toISOString(),
  smoke: options.smoke,
  machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? '', loadAverage: { atStart: loadavg()[0]!, atEnd: 0 }, node: process.version, redis: /^redis_version:(.+)$/m.exec(await redis.info('server'))?.[1]?.trim() ?? '' },
  options: { ...options, only: [...options.only] },
  producer: [],
  endToEnd: [],
  lightLoad: null,
  naive: null,
  httpCeiling: [],
  memory: { redis: [], peakRssMiB: {} },
  cluster: null,
};
const log = (message: string) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}`);
const notePeak = (rss: Record<string, number | null>) => {
  for (const [name, mib] of Object.entries(rss)) {
    if (mib !== null) results.memory.peakRssMiB[name] = Math.max(results.memory.peakRssMiB[name] ?? 0, mib);
  }
};

// Ctrl-C or a kill of the bench alone: stop the one Redis, then exit through 'exit', whose handlers
// kill the apps and the cluster's redis-servers, instead of leaving them running on the machine.
// `on`, not `once`: under `pnpm bench` one Ctrl-C arrives twice (the terminal's and the one pnpm
// passes on), and a second one with no listener would kill the bench before its 'exit' handlers.
let interrupted = false;
for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = true;
    setTimeout(() => process.exit(code), 5_000).unref();
    void server.stop().finally(() => process.exit(code));
  });
}

log(`redis-server at ${server.url}, receiver pid ${receiver.pid}`);
let failed = false;
try {
  if (options.only.has('producer')) {
    log('section 1: producer');
    results.producer = await benchProducer(redis, server.url, {
      dials: options.producerDials,
      manyCompanies: options.manyCompanies,
      publishConcurrency: 256,
      manyConcurrency: 8,
    });
  }
  if (options.only.has('e2e')) {
    const shapes: PipelineShape[] = [];
    for (const workers of [1, 2]) {
      for (const companies of [1, options.manyCompanies]) {
        for (const webhooksPerCompany of [1, 3]) shapes.push({ batchers: workers, senders: workers, companies, webhooksPerCompany });
      }
    }
    for (const shape of shapes) {
      const label = `${shape.batchers}+${shape.senders} ${shape.companies}co ${shape.webhooksPerCompany}wh`;
      if (options.scenario && !label.includes(options.scenario)) continue;
      log(`section 2: end to end, ${label}`);
      const row: ThroughputRow = await benchThroughput(ctx, shape, { dials: options.e2eDials, chunk: options.chunk, window: options.window, windowPerCompany: options.windowPerCompany }, 'bench-e2e');
      notePeak(row.peakRssMiB);
      results.endToEnd.push(row);
    }
  }
  if (options.only.has('light')) {
    log('section 3: light load');
    results.lightLoad = await benchLightLoad(ctx, options.lightCompanies, options.lightRate, options.lightSeconds, 'bench-light');
  }
  if (options.only.has('naive')) {
    log('section 4: the naive design');
    const naive = await benchNaive(ctx, { dials: options.naiveDials, window: options.window, concurrency: 64 });
    notePeak(naive.peakRssMiB);
    const ours = results.endToEnd.find((r) => r.batchers === 1 && r.companies === 1 && r.webhooksPerCompany === 1);
    results.naive = { ...naive, oursOverNaive: ours ? Math.round((ours.dialsPerSecond / naive.dialsPerSecond) * 10) / 10 : null };
  }
  if (options.only.has('http')) {
    log('section 5: HTTP client ceiling');
    results.httpCeiling = await benchHttpCeiling(receiver, ca.ca, options.httpSeconds, options.httpConcurrency);
  }
  if (options.only.has('memory')) {
    log('section 6: Redis memory per pending dial');
    results.memory.redis = await benchRedisMemory(redis, server.url, options.memoryDials);
  }
  if (options.only.has('cluster')) {
    results.cluster = await benchCluster(
      ctx,
      {
        dials: options.clusterDials, chunk: options.chunk, window: options.window, windowPerCompany: options.windowPerCompany, companies: options.manyCompanies,
        rounds: options.clusterRounds, masters: options.clusterMasters, shards: options.clusterShards,
      },
      log,
    );
    for (const run of results.cluster.runs) notePeak(run.peakRssMiB);
    notePeak({ 'redis-cluster master': results.cluster.peakMasterRssMiB });
  }
  if (options.only.has('delivery-log')) {
    log('section 8: the delivery log (memory; throughput with and without it)');
    results.deliveryLog = await benchDeliveryLog(ctx, { dials: options.e2eDials, chunk: options.chunk, window: options.window, companies: options.manyCompanies, smoke: options.smoke });
  }
  notePeak({ bench: peakRssMiB(process.pid), receiver: peakRssMiB(receiver.pid), 'redis-server': peakRssMiB(await redisPid(redis)) });
} catch (err) {
  failed = true;
  console.error(err);
} finally {
  await receiver.close();
  redis.disconnect();
  await server.stop();
}

results.machine.loadAverage.atEnd = loadavg()[0]!;
printReport(results);
printGoals(results);
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
console.log(`\nresults written to ${out}`);
process.exit(failed ? 1 : 0);

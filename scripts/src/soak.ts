// The soak test (not in CI): N companies x 3 webhooks for M minutes against the real apps, with
// random faults of every kind the fault suite proves one at a time (SIGKILL and SIGTERM of batchers
// and senders, Redis restarts, a webhook that hangs), then the ledger's reconciliation.
//
//   pnpm soak -- --companies 10 --minutes 5 [--rate 50] [--seed 7]
//
// Exits 0 when every guarantee held, 1 otherwise, 2 on a bad option.
import { secretBoxFromEnv } from '@outboundiq/core';
import {
  REPO_ROOT, ensureTestCa, formatReconciliation, quantile, requireTools, startFaultWorld, startLoad, waitFor,
  type FaultWorld, type WorldDeps,
} from '@outboundiq/testkit';
import { createDialProducer } from '@outboundiq/webhook-producer';
import { createWebhookStore } from '@outboundiq/webhook-store';
import { UsageError, commandLine, exitWithError, positiveNumber, strictArgs } from './cli.js';

const USAGE = `pnpm soak [--] [options]    the real apps (2 batchers, 2 senders) under random faults, then the ledger's reconciliation
  --companies N   companies, 3 webhooks each (default 5)
  --minutes M     how long the load and the faults last (default 2; a fraction is fine)
  --rate N        dials per second over all companies (default 50)
  --seed N        the faults' random seed, to replay a run (default: from the clock, printed)
  --help          this text
Needs redis-server and openssl. Exits 0 when every guarantee held, 1 otherwise, 2 on a bad option.`;

const flags = commandLine('pnpm soak', USAGE, (args) => {
  const values = strictArgs(args, {
    companies: { type: 'string', default: '5' },
    minutes: { type: 'string', default: '2' },
    rate: { type: 'string', default: '50' },
    seed: { type: 'string' },
  });
  const seed = values.seed === undefined ? undefined : Number(values.seed);
  if (seed !== undefined && !(Number.isInteger(seed) && seed >= 0)) throw new UsageError(`--seed must be a whole number, not ${JSON.stringify(values.seed)}`);
  const companyCount = positiveNumber('--companies', values.companies);
  if (!Number.isInteger(companyCount)) throw new UsageError(`--companies must be a whole number, not ${JSON.stringify(values.companies)}`);
  return { companies: companyCount, minutes: positiveNumber('--minutes', values.minutes), rate: positiveNumber('--rate', values.rate), seed };
});
const companies = Array.from({ length: flags.companies }, (_, i) => `soak-${i}`);
const durationMs = flags.minutes * 60_000;
const rate = flags.rate;

// A small seeded generator, so a run that found something can be replayed.
let seed = flags.seed ?? Date.now() % 1_000_000;
const firstSeed = seed;
const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;

const deps: WorldDeps = {
  createStore: (redis, keys) => createWebhookStore({ redis, keys, secretBox: secretBoxFromEnv(undefined, 'test').box }),
  createProducer: (options) => createDialProducer(options),
};

const BATCHERS = ['batcher-a', 'batcher-b'];
const SENDERS = ['sender-a', 'sender-b'];
const log = (line: string) => console.log(`${new Date().toISOString()} ${line}`);

type Fault = (w: FaultWorld) => Promise<string>;

const restartApp = async (w: FaultWorld, label: string) => {
  await w.fleet.start(label.startsWith('batcher') ? 'batcher' : 'sender', label);
};

const faults: Record<string, Fault> = {
  async 'SIGKILL a batcher'(w) {
    const label = pick(BATCHERS);
    await w.fleet.kill(label, 'SIGKILL');
    await restartApp(w, label);
    return label;
  },
  async 'SIGKILL a sender'(w) {
    const label = pick(SENDERS);
    await w.fleet.kill(label, 'SIGKILL');
    await restartApp(w, label);
    return label;
  },
  async 'SIGTERM an app'(w) {
    const label = pick([...BATCHERS, ...SENDERS]);
    const exit = await w.fleet.kill(label, 'SIGTERM');
    await restartApp(w, label);
    return `${label}: exit ${exit.code ?? exit.signal} after ${exit.ms} ms${exit.code === 0 ? '' : ' (NOT CLEAN)'}`;
  },
  async 'restart Redis'(w) {
    const kill = random() < 0.5;
    await w.redisServer.restart({ kill, downtimeMs: 2_000 });
    return kill ? 'SIGKILL, 2 s down' : 'SIGTERM, 2 s down';
  },
  async 'hang a webhook for 10 s'(w) {
    const path = `/${pick(companies)}/2`;
    // Its deliveries may rightly fail from now on (the contract gives up after the retry).
    w.ledger.notOwed(path);
    w.receiver.respond(path, () => ({ hang: true }));
    setTimeout(() => w.receiver.respond(path, () => ({ status: 200 })), 10_000).unref();
    return path;
  },
};

async function main(): Promise<number> {
  requireTools(['redis-server', 'openssl'], 'the soak runs a Redis and HTTPS receivers of its own');
  const ca = ensureTestCa(`${REPO_ROOT}.test-ca`);
  const w = await startFaultWorld({ name: 'soak', env: { NODE_EXTRA_CA_CERTS: ca.caPath, BATCHER_LEASE_MS: '2000' } }, deps);
  let uncleanExits = 0;
  try {
    for (const company of companies) await w.addWebhooks(company, 3);
    await Promise.all([...BATCHERS, ...SENDERS].map((label) => restartApp(w, label)));
    log(`soak: ${companies.length} companies x 3 webhooks, ${rate} dials/s, ${flags.minutes} min, seed ${firstSeed}, Redis ${w.redisServer.url}`);

    const load = startLoad({ ledger: w.ledger, producer: w.producer, companies, perSecond: rate });
    const ends = Date.now() + durationMs;
    const counts: Record<string, number> = {};
    while (Date.now() < ends) {
      await new Promise((r) => setTimeout(r, 5_000 + random() * 10_000));
      if (Date.now() >= ends) break;
      const name = pick(Object.keys(faults));
      const detail = await faults[name]!(w);
      if (detail.includes('NOT CLEAN')) uncleanExits++;
      counts[name] = (counts[name] ?? 0) + 1;
      log(`fault: ${name} (${detail}); ${load.started} dials published so far`);
    }
    await load.stop();
    log(`load stopped after ${load.started} dials; faults: ${JSON.stringify(counts)}; waiting for the deliveries`);
    // A SIGKILLed sender's jobs come back after the lock (30 s by default), a hung one after 20.5 s.
    await waitFor(() => w.ledger.ingest(w.receiver.requests).allDelivered(), 120_000, 'every dial delivered').catch((err: Error) => log(err.message));

    const report = w.ledger.reconcile(w.receiver.requests);
    const latencies = w.ledger.latencies();
    console.log(`\n=== soak reconciliation (seed ${firstSeed}) ===\n${formatReconciliation(report)}`);
    console.log(`publish->first receipt: p50 ${quantile(latencies, 0.5)} ms, p99 ${quantile(latencies, 0.99)} ms, max ${Math.max(...latencies)} ms`);
    console.log(`pending entries in the batchers group: ${await w.pendingEntries()}; unclean SIGTERM exits: ${uncleanExits}`);
    return report.ok && uncleanExits === 0 ? 0 : 1;
  } finally {
    await w.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => exitWithError('pnpm soak', err),
);

import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { shardTag, slotOf } from '@outboundiq/core';
import { REPO_ROOT, coverage, freePort, portsInUse, readerEnv, readmeCommands, runShell, runToEnd, uniquePrefix, waitFor } from '@outboundiq/testkit';
import { runSelfHostedClusterBlock } from '../src/readme-cluster.js';

// Every command the root README and the producer's README give, as a reader copies it, is accounted
// for here: run in a bounded form by a test of this file (`test`), run by another test or by CI
// itself (`by`, a file that holds the command), or listed with the reason it cannot run here. A
// command added to or reworded in a README and not in this table fails the first test; so does an
// entry no README uses any more. infra/README.md has its own table in infra-tests.
type Entry = ({ how: string; test: string } | { how: string; by: string; holds?: string } | { listed: string }) & {
  /** The one README that gives this command: while that README does not exist, the entry is unused by right. */
  only?: string;
};

const CLUSTER_BLOCK = 'the self-hosted cluster block, on loopback';
// The producer's README: its entries count only while it exists (it was written on another branch).
const PRODUCER_README = 'packages/webhook-producer/README.md';
const PACK = 'pnpm pack (producer README)';
const TABLE: Record<string, Entry> = {
  'npm i -g -E pnpm@12.4.2': { test: 'npm i -g -E pnpm@12.4.2', how: 'as written, into a throwaway npm prefix (not the machine\'s pnpm); that pnpm reports 12.4.2, which package.json\'s packageManager and .ci/run pin too' },
  'pnpm install --frozen-lockfile': { by: '.ci/run', how: 'CI runs it on its fresh clone before pnpm test' },
  'pnpm test': { by: '.ci/run', how: 'CI runs it: this check is part of that run' },
  'pnpm demo': { by: 'packages/system-tests/test/demo.int.test.ts', how: 'as written, until 3 verified batches, then Ctrl-C to the group: exit 0, no process left, ports free' },
  'pnpm start': { test: 'pnpm start', how: 'as written on free ports, until it says ready: /readyz of the three apps and /settings/webhooks answer, then Ctrl-C to the group: exit 0, no process left, ports free' },
  'pnpm start -- --help': { by: 'packages/system-tests/test/script-options.int.test.ts', how: 'as written: exit 0, lists --demo and the environment' },
  'apt-get install redis-server openssl python3 chromium prometheus': { test: 'apt-get lines', how: 'not run (root, network, changes the machine): each package is in the list .ci/run installs when missing, and each program is on this machine' },
  'apt-get install chromium': { test: 'apt-get lines', how: 'as above' },
  'node apps/<app>/dist/main.js': { test: 'node apps/<app>/dist/main.js', how: 'a template: each of batcher, sender, admin is built there; pnpm start runs all three as processes' },
  'node apps/<app>/dist/main.js --check-config': { by: 'packages/infra-tests/src/app-config.ts', holds: "'--check-config'", how: 'a template: infra-tests run it for each app, with the environment each pod gets and with wrong ones' },
  'pnpm build': { test: 'pnpm build', how: 'as written: exit 0' },
  'node scripts/test.mjs --selectProjects system-tests --testPathPatterns browser': {
    test: 'the browser tests command',
    how: 'with --listTests appended: jest accepts the options and they select test/browser/*.browser.test.ts; those tests run in this same pnpm test',
  },
  'bash .ci/run': { listed: 'CI itself: the run this check is part of' },
  [`curl -sS -X POST http://localhost:3000/v1/companies/acme/portal-sessions -H "Authorization: Bearer $ADMIN_API_TOKEN" -H 'Content-Type: application/json' -d '{"ttlSeconds": 3600}'`]: {
    by: 'packages/system-tests/test/portal-readme.int.test.ts',
    how: 'as written against the built admin app on its own port: a token, its url on PUBLIC_URL and its expiry; the token then lists acme\'s webhooks',
  },
  'kubectl kustomize': { by: 'packages/infra-tests/test/readme-commands.int.test.ts', how: 'prose naming the tool; the infra README check renders every overlay with it' },
  'pnpm soak -- --companies 20 --minutes 10': {
    test: 'pnpm soak',
    how: 'the documented companies, --minutes 0.05 --seed 0 (the first fault comes 5 s in at the earliest, so none): the fleet starts, the load runs, the ledger reconciles, exit 0; the faults themselves are the fault suite\'s',
  },
  'pnpm soak -- --help': { by: 'packages/system-tests/test/script-options.int.test.ts', how: 'as written: exit 0, lists its options' },
  'pnpm bench': { by: 'packages/system-tests/test/bench-smoke.int.test.ts', holds: 'pnpm bench -- --smoke', how: 'as `pnpm bench -- --smoke`: every section, the cluster one included' },
  'pnpm bench -- --help': { by: 'packages/system-tests/test/script-options.int.test.ts', how: 'as written: exit 0, lists its options' },
  'redis-cli --cluster create': { test: CLUSTER_BLOCK, how: 'prose; the block\'s full command is run' },
  'redis-server --port 7000 --cluster-enabled yes --cluster-config-file nodes-7000.conf --cluster-node-timeout 5000 --appendonly yes --maxmemory 4gb --maxmemory-policy noeviction --cluster-require-full-coverage no': {
    test: CLUSTER_BLOCK,
    how: 'six times, as written but for the port (10.0.0.N:7000 -> 127.0.0.1:<free port>), each in a folder of its own',
  },
  'redis-cli --cluster create 10.0.0.1:7000 10.0.0.2:7000 10.0.0.3:7000 10.0.0.4:7000 10.0.0.5:7000 10.0.0.6:7000 --cluster-replicas 1': {
    test: CLUSTER_BLOCK,
    how: 'with the six loopback addresses, answering its question with yes as a reader does',
  },
  'redis-cli -h 10.0.0.1 -p 7000 cluster info | grep cluster_state': { test: CLUSTER_BLOCK, how: 'against the first node: prints cluster_state:ok, as the README says' },
  'REDIS_CLUSTER_NODES=10.0.0.1:7000,10.0.0.2:7000,10.0.0.3:7000 SHARDS=16 node apps/batcher/dist/main.js': {
    test: CLUSTER_BLOCK,
    how: 'with the loopback seeds (and PORT free): the batcher becomes ready on the cluster, then stops on SIGTERM with exit 0',
  },
  'redis-cli -c -h <node> -p <port> cluster keyslot s5-158': { test: CLUSTER_BLOCK, how: 'against a node of that cluster: the slot core\'s slotOf gives' },
  'redis-cli --cluster reshard': { listed: 'prose naming redis-cli\'s interactive slot-moving tool, with no arguments to check' },
  'gcloud redis clusters update <name> --region=<region> --update-redis-config=maxmemory-policy=noeviction': {
    listed: 'needs a Google Cloud project and a Memorystore cluster (<name>, <region>); CI has no cloud account',
  },
  [`node -e "import('./packages/core/dist/index.js').then(({ shardTag, slotOf }) => { for (let k = 0; k < 16; k++) console.log(k, shardTag(k, 16), slotOf(shardTag(k, 16))); })"`]: {
    test: 'the shard tags one-liner',
    how: 'as written: 16 lines, s0-60 first, s5-158 sixth and s15-29 last, as the README says',
  },

  'cd packages/webhook-producer': { only: PRODUCER_README, test: PACK, how: 'the package\'s folder, where the next step runs' },
  'pnpm pack': { only: PRODUCER_README, test: PACK, how: 'in packages/webhook-producer with --pack-destination <tmp> (the work tree stays clean): it writes the tarball the README installs by name' },
  'npm install ./outboundiq-webhook-producer-0.3.0.tgz': {
    only: PRODUCER_README,
    by: 'packages/webhook-producer/test/package.int.test.ts',
    holds: "'install', tarball",
    how: 'the package test installs the packed tarball with plain npm in an empty project and uses it with import and require',
  },
  'npm pack': { only: PRODUCER_README, listed: 'named as what not to use (it would leave workspace:/catalog: ranges that npm cannot install)' },
};

const READMES = ['README.md', PRODUCER_README].filter((file) => existsSync(join(REPO_ROOT, file)));
const present = (entry: Entry) => entry.only === undefined || READMES.includes(entry.only);
const tests = new Set<string>();
const check = (name: string, fn: () => Promise<void>, timeoutMs = 60_000) => {
  tests.add(name);
  it(name, fn, timeoutMs);
};
const ciRun = () => readFileSync(join(REPO_ROOT, '.ci/run'), 'utf8');

describe('every command of the README and the producer README', () => {
  it('is in the table: run here, run by a named test or by CI, or listed with its reason', () => {
    const table = Object.fromEntries(Object.entries(TABLE).filter(([, entry]) => present(entry)));
    const { unaccounted, unused } = coverage(READMES.flatMap(readmeCommands), table);
    expect({ 'commands neither run nor listed': unaccounted.map((u) => `${u.where}: ${u.step}`), 'entries no README uses': unused }).toEqual({
      'commands neither run nor listed': [],
      'entries no README uses': [],
    });
    for (const [step, entry] of Object.entries(table)) {
      if ('test' in entry) expect({ step, test: tests.has(entry.test) }).toEqual({ step, test: true });
      if ('by' in entry) {
        const file = join(REPO_ROOT, entry.by);
        const holds = existsSync(file) && readFileSync(file, 'utf8').includes(entry.holds ?? step);
        expect({ step, by: entry.by, holds }).toEqual({ step, by: entry.by, holds: true });
      }
    }
  });

  check('npm i -g -E pnpm@12.4.2', async () => {
    const prefix = mkdtempSync(join(tmpdir(), 'oiq-npm-'));
    try {
      const { code, output } = await runToEnd('npm i -g -E pnpm@12.4.2 && pnpm --version', {
        env: readerEnv({ npm_config_prefix: prefix, PATH: `${prefix}/bin:${process.env.PATH ?? ''}` }),
        timeoutMs: 120_000,
      });
      expect({ code, output: code === 0 ? '' : output }).toEqual({ code: 0, output: '' });
      expect(output.trim().split('\n').at(-1)).toBe('12.4.2');
    } finally {
      rmSync(prefix, { recursive: true, force: true });
    }
    const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { packageManager: string };
    expect(manifest.packageManager).toBe('pnpm@12.4.2');
    expect(ciRun()).toMatch(/^PNPM_VERSION=12\.4\.2$/m);
  }, 150_000);

  check('apt-get lines', async () => {
    const list = [...ciRun().matchAll(/need_apt\+=\(([\w-]+)\)/g)].map((m) => m[1]);
    expect(list).toEqual(expect.arrayContaining(['redis-server', 'openssl', 'python3', 'chromium', 'prometheus']));
    for (const program of ['redis-server', 'openssl', 'python3', 'chromium', 'promtool', 'prometheus']) {
      expect({ program, code: (await runToEnd(`command -v ${program}`)).code }).toEqual({ program, code: 0 });
    }
  });

  check('pnpm build', async () => {
    const { code, output } = await runToEnd('pnpm build', { timeoutMs: 240_000 });
    expect({ code, output: code === 0 ? '' : output }).toEqual({ code: 0, output: '' });
  }, 300_000);

  check('node apps/<app>/dist/main.js', async () => {
    for (const app of ['batcher', 'sender', 'admin']) expect(existsSync(join(REPO_ROOT, `apps/${app}/dist/main.js`))).toBe(true);
  });

  check('pnpm start', async () => {
    const ports = { admin: await freePort(), batcher: await freePort(), sender: await freePort() };
    const run = runShell('pnpm start', {
      env: readerEnv({ KEY_PREFIX: uniquePrefix('start'), ADMIN_PORT: String(ports.admin), BATCHER_PORT: String(ports.batcher), SENDER_PORT: String(ports.sender) }),
    });
    try {
      await waitFor(() => run.output().includes('press Ctrl-C to stop'), 45_000, 'pnpm start to say it is ready');
      for (const port of Object.values(ports)) expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
      const page = await fetch(`http://127.0.0.1:${ports.admin}/settings/webhooks`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/text\/html/);
    } finally {
      run.interrupt();
    }
    expect(await run.exited).toEqual({ code: 0, signal: null });
    await run.groupGone();
    expect(await portsInUse(Object.values(ports))).toEqual([]);
  }, 90_000);

  check('the browser tests command', async () => {
    const { code, output } = await runToEnd('node scripts/test.mjs --selectProjects system-tests --testPathPatterns browser --listTests', { timeoutMs: 60_000 });
    expect({ code, output: code === 0 ? '' : output }).toEqual({ code: 0, output: '' });
    const listed = output.split('\n').filter((line) => line.startsWith('/'));
    expect(listed.length).toBeGreaterThan(0);
    for (const file of listed) expect(file).toMatch(/\/packages\/system-tests\/test\/browser\/[^/]+\.browser\.test\.ts$/);
  });

  check('pnpm soak', async () => {
    const { code, output } = await runToEnd('pnpm soak -- --companies 20 --minutes 0.05 --seed 0', { timeoutMs: 150_000 });
    expect({ code, output: code === 0 ? '' : output }).toEqual({ code: 0, output: '' });
    expect(output).toContain('=== soak reconciliation (seed 0) ===');
    expect(output).not.toMatch(/fault: /);
  }, 180_000);

  check('the shard tags one-liner', async () => {
    const step = Object.keys(TABLE).find((s) => s.startsWith('node -e '))!;
    const { code, output } = await runToEnd(step);
    expect({ code, output: code === 0 ? '' : output }).toEqual({ code: 0, output: '' });
    const lines = output.trim().split('\n');
    expect(lines).toEqual(Array.from({ length: 16 }, (_, k) => `${k} ${shardTag(k, 16)} ${slotOf(shardTag(k, 16))}`));
    expect([lines[0], lines[5], lines[15]].map((l) => l?.split(' ')[1])).toEqual(['s0-60', 's5-158', 's15-29']);
  });

  check(CLUSTER_BLOCK, () => runSelfHostedClusterBlock(Object.keys(TABLE)), 120_000);

  if (READMES.includes(PRODUCER_README)) {
    check(PACK, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'oiq-readme-pack-'));
      try {
        const { code, output, stdout } = await runToEnd(`cd packages/webhook-producer && pnpm pack --pack-destination ${dir} --json`);
        expect({ code, output: code === 0 ? '' : output }).toEqual({ code: 0, output: '' });
        const { filename } = JSON.parse(stdout) as { filename: string };
        const installed = Object.keys(TABLE).find((step) => step.startsWith('npm install ./'))!.slice('npm install ./'.length);
        expect(filename.split('/').at(-1)).toBe(installed);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});

#!/usr/bin/env node
// The test command (`pnpm test`, after the build): makes the test CA, runs every jest project with
// the CA trusted through NODE_EXTRA_CA_CERTS, and ends with one plain line for CI:
// `jest: N passed, N failed`. A run that found no test fails. When no Redis answers at
// 127.0.0.1:6379 it starts a throwaway redis-server there for the run. It also starts one local
// Redis Cluster (3 masters, 3 replicas) that the pipeline tests share, each under its own prefix
// (TEST_REDIS_CLUSTER_NODES; a test file run on its own starts a cluster of its own instead).
// Its arguments go to jest as they are (so it has no --help or option checks of its own: jest's
// `--help` and jest's errors apply), less a leading `--` that `pnpm test -- <args>` passes on.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MissingToolError, ensureTestCa, hasTool, missingTools, redisAnswers, startRedisCluster, startRedisServer } from '../packages/testkit/dist/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const results = join(root, '.jest-results.json');
const jestArgs = process.argv[2] === '--' ? process.argv.slice(3) : process.argv.slice(2);
const jestBin = join(root, 'node_modules/jest/bin/jest.js');

// Listing the tests (the README check does, to prove a documented selection selects) runs nothing:
// no CA, no Redis, no summary line.
if (jestArgs.includes('--listTests')) {
  const list = spawnSync(process.execPath, ['--experimental-vm-modules', jestBin, ...jestArgs], { cwd: root, stdio: 'inherit', env: { ...process.env, NODE_NO_WARNINGS: '1' } });
  process.exit(list.status ?? 1);
}

// A machine with only Node.js learns here, in one line, what to install; not from a test's stack trace.
// The browser tests need chromium; a run of chosen tests may not, and then says so itself if it does.
const needed = ['openssl', 'python3', 'redis-server', 'redis-cli'];
const missing = missingTools(needed);
if (jestArgs.length === 0 && !hasTool(process.env.CHROMIUM_PATH ?? '/usr/bin/chromium')) missing.push('chromium');
// The observability tests: promtool's rule tests, and a real Prometheus scraping the apps.
if (jestArgs.length === 0) missing.push(...missingTools(['promtool', 'prometheus']));
if (missing.length > 0) {
  console.log(new MissingToolError(missing, 'the tests run them').message);
  console.log('jest: 0 passed, 1 failed');
  process.exit(1);
}

const ca = ensureTestCa(join(root, '.test-ca'));
rmSync(results, { force: true });
const ownRedis = (await redisAnswers(6379)) ? undefined : await startRedisServer({ port: 6379 });
if (ownRedis) console.log('no Redis answered at 127.0.0.1:6379: started a throwaway redis-server there for this run');
const cluster = process.env.TEST_REDIS_CLUSTER_NODES ? undefined : await startRedisCluster();

const jest = spawnSync(
  process.execPath,
  ['--experimental-vm-modules', jestBin, '--json', `--outputFile=${results}`, ...jestArgs],
  {
    cwd: root,
    stdio: 'inherit',
    // The machine's own extra CAs stay known to the tests that run a command as a reader would
    // (npm must still reach the registry through them); everything else trusts the test CA.
    env: {
      ...process.env,
      NODE_EXTRA_CA_CERTS: ca.caPath,
      READER_NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS ?? '',
      NODE_NO_WARNINGS: '1',
      // The pipeline tests' Redis Cluster backend (packages/testkit/src/backends.ts).
      ...(cluster ? { TEST_REDIS_CLUSTER_NODES: cluster.seeds } : {}),
    },
  },
);

await cluster?.stop();
await ownRedis?.stop();

let passed = 0;
let failed = 0;
try {
  const summary = JSON.parse(readFileSync(results, 'utf8'));
  passed = summary.numPassedTests;
  failed = summary.numFailedTests + (summary.numRuntimeErrorTestSuites ?? 0);
} catch {
  failed = 1;
}
console.log(`jest: ${passed} passed, ${failed} failed`);
process.exit(jest.status === 0 && passed > 0 && failed === 0 ? 0 : 1);

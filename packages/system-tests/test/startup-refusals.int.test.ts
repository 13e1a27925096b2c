import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createKeys, createRedisClient, ensureLayout, type Redis } from '@outboundiq/core';
import { scanKeys, spawnApp, startRedisServer, uniquePrefix, type AppName, type RedisServer } from '@outboundiq/testkit';
import { REDIS_URL } from '../src/harness.js';

const APPS: AppName[] = ['batcher', 'sender', 'admin'];
const BASE_ENV = { PORT: '0', ADMIN_API_TOKENS: 'startup-test-token' };

/** Runs a built app with `env` until it exits; returns its exit code and what it printed. */
async function refusal(app: AppName, env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const proc = spawnApp(app, { ...BASE_ENV, ...env });
  const timer = setTimeout(() => void proc.kill('SIGKILL'), 30_000);
  const { code } = await proc.exited;
  clearTimeout(timer);
  return { code, output: [...proc.logs.map((l) => String(l.msg)), ...proc.text].join('\n') };
}

// Bad configuration and a Redis that does not fit stop every app at start, with a message naming
// the variable or the state, and nothing written (CONTRACT section 4; issue 11, "Bad input").
describe('an app refuses to start, naming why, and writes nothing', () => {
  let redis: Redis;
  let lone: RedisServer;

  beforeAll(async () => {
    redis = createRedisClient({ url: REDIS_URL, role: 'worker', name: 'startup-test' });
    // A cluster-enabled redis-server that was never joined into a cluster: no slot is served.
    lone = await startRedisServer({ extraArgs: ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf'] });
  });
  afterAll(async () => {
    await lone.stop();
    await redis.quit();
  });

  it.each([
    ['SHARDS', { SHARDS: '0' }],
    ['SHARDS', { SHARDS: 'sixteen' }],
    ['REDIS_CLUSTER_NODES', { REDIS_CLUSTER_NODES: '10.0.0.5' }],
    ['REDIS_CLUSTER_NODES', { REDIS_CLUSTER_NODES: 'redis://a:7000,rediss://b:7000' }],
  ])('a bad %s (%j), in every app', async (variable, env) => {
    const prefix = uniquePrefix('startup-config');
    for (const app of APPS) {
      const { code, output } = await refusal(app, { REDIS_URL, KEY_PREFIX: prefix, ...env });
      expect(code).toBe(1);
      expect(output).toContain(variable);
    }
    expect(await scanKeys(redis, prefix)).toEqual([]);
  });

  it('a SHARDS other than the one stored with the data, naming both, in every app', async () => {
    const prefix = uniquePrefix('startup-shards');
    await ensureLayout(redis, createKeys(prefix, 4));
    const before = await scanKeys(redis, prefix);
    for (const app of APPS) {
      const { code, output } = await refusal(app, { REDIS_URL, KEY_PREFIX: prefix, SHARDS: '16' });
      expect(code).toBe(1);
      expect(output).toMatch(/SHARDS is 16 .*SHARDS=4/);
    }
    expect(await scanKeys(redis, prefix)).toEqual(before);
    await redis.del(...before);
  });

  it('a Redis Cluster that is not ready, naming its state', async () => {
    const { code, output } = await refusal('batcher', { REDIS_CLUSTER_NODES: `127.0.0.1:${lone.port}`, KEY_PREFIX: uniquePrefix('startup-notready') });
    expect(code).toBe(1);
    expect(output).toMatch(/REDIS_CLUSTER_NODES is not ready: .*cluster_state:fail/);
  }, 45_000);

  it('a REDIS_URL that points at a cluster node, naming REDIS_CLUSTER_NODES', async () => {
    const { code, output } = await refusal('sender', { REDIS_URL: lone.url, KEY_PREFIX: uniquePrefix('startup-clusterurl') });
    expect(code).toBe(1);
    expect(output).toContain('REDIS_URL points at a Redis Cluster node: give the cluster\'s nodes in REDIS_CLUSTER_NODES');
  });
});

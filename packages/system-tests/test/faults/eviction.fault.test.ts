import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { outputOf, spawnApp, startRedisServer, type AppName, type AppProcess, type RedisServer } from '@outboundiq/testkit';

// Scenario 7: BullMQ needs maxmemory-policy noeviction (an evicted job is a lost delivery). Every
// app must refuse an evicting Redis at start, exit non-zero and name the setting.
describe('an evicting Redis (maxmemory-policy allkeys-lru)', () => {
  let redis: RedisServer;
  const procs: AppProcess[] = [];
  beforeAll(async () => {
    redis = await startRedisServer({ maxmemoryPolicy: 'allkeys-lru' });
  });
  afterAll(async () => {
    await Promise.all(procs.map((p) => p.kill('SIGKILL')));
    await redis?.stop();
  });

  it.each<AppName>(['batcher', 'sender', 'admin'])('%s refuses to start, exits non-zero and names maxmemory-policy', async (app) => {
    const proc = spawnApp(app, {
      REDIS_URL: redis.url,
      KEY_PREFIX: `evict-${app}`,
      PORT: '0',
      ALLOW_PRIVATE_DESTINATIONS: 'true',
      ADMIN_API_TOKENS: 'test-token',
    });
    procs.push(proc);
    const exit = await proc.exited;
    expect(exit.code).not.toBe(0);
    expect(exit.code).not.toBeNull();
    const output = outputOf(proc, 200);
    expect(output).toContain('maxmemory-policy');
    expect(output).toContain('allkeys-lru');
  }, 20_000);
});

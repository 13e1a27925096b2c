import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createKeys, createLogger, createRedisClient, type RedisClient } from '@outboundiq/core';
import { TEST_BACKENDS, connectBackend, deleteKeys, uniquePrefix } from '@outboundiq/testkit';
import { createAuthFailures } from '../src/auth-failures.js';
import { createPortalSessions, type PortalSessions } from '../src/portal-sessions.js';

// Portal sessions and the failed sign-in counter on one Redis and on Redis Cluster: each look-up
// (session and generation in one MGET) stays in the company's slot.
describe.each(TEST_BACKENDS)('portal sessions on $label', (backend) => {
  const prefix = uniquePrefix('portal-backends');
  const keys = createKeys(prefix, backend.shards);
  let redis: RedisClient;
  let sessions: PortalSessions;
  const clock = { offsetMs: 0 };

  beforeAll(async () => {
    redis = createRedisClient({ ...(await connectBackend(backend)).target, role: 'worker', name: 'portal-backends-test' });
    sessions = createPortalSessions({ redis, keys, now: () => Date.now() + clock.offsetMs });
  });
  afterAll(async () => {
    await deleteKeys(redis, prefix);
    await redis.quit();
  });

  it('verifies, expires and revokes sessions of many companies, each in its own slot', async () => {
    const companies = Array.from({ length: 12 }, (_, i) => `company-${i}`);
    const made = await Promise.all(companies.map((c) => sessions.create(c, 60)));
    expect(await Promise.all(made.map((s) => sessions.verify(s.token)))).toEqual(companies);
    clock.offsetMs = 61_000;
    expect(await Promise.all(made.map((s) => sessions.verify(s.token)))).toEqual(companies.map(() => null));
    clock.offsetMs = 0;
    await sessions.revokeAll('company-3');
    expect(await Promise.all(made.map((s) => sessions.verify(s.token)))).toEqual(companies.map((c) => (c === 'company-3' ? null : c)));
    const again = await sessions.create('company-3', 60);
    expect(await sessions.verify(again.token)).toBe('company-3');
  });

  it('counts failed sign-ins per address', async () => {
    const failures = createAuthFailures({ redis, keyPrefix: keys.authFailuresPrefix(), logger: createLogger({ name: 't', level: 'silent' }), limits: { failures: 3, windowSeconds: 60, blockSeconds: 60 } });
    const waits = [];
    for (let n = 0; n < 5; n++) waits.push(await failures.record('203.0.113.9'));
    expect(waits.slice(0, 3)).toEqual([null, null, null]);
    for (const wait of waits.slice(3)) expect(wait! > 0 && wait! <= 60).toBe(true);
    expect(await failures.record('203.0.113.10')).toBeNull();
  });
});

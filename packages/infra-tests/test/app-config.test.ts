import { describe, expect, it } from '@jest/globals';
import { checkAppConfig } from '../src/app-config.js';

const KEY = Buffer.alloc(32, 7).toString('base64');

/**
 * The manifests tests trust each app's `--check-config` answer; these show that answer is the
 * app's own validation (what its start would refuse, it refuses) and never a blanket OK.
 */
describe('--check-config: the built app judges its environment, connecting nowhere', () => {
  it('answers each app\'s settings, defaults included, with only numbers and booleans in clear', async () => {
    const batcher = await checkAppConfig('batcher', { REDIS_URL: 'redis://:hunter2@nowhere.invalid:6379' });
    expect(batcher).toEqual({ ok: true, config: expect.objectContaining({ PORT: 3001, SHARDS: 1, BATCH_MAX_DIALS: 100, REDIS_URL: '(set)' }) });
    expect(JSON.stringify(batcher)).not.toContain('hunter2');
    const admin = await checkAppConfig('admin', { ADMIN_API_TOKENS: 'secret-token', SHARDS: '8' });
    expect(admin).toEqual({ ok: true, config: expect.objectContaining({ PORT: 3000, SHARDS: 8, ADMIN_API_TOKENS: '(set)' }) });
    expect(await checkAppConfig('sender', {})).toEqual({ ok: true, config: expect.objectContaining({ PORT: 3002, SENDER_LOCK_MS: 30_000 }) });
  });

  it('refuses what the app refuses at start, naming the variable', async () => {
    expect(await checkAppConfig('sender', { SENDER_LOCK_MS: '20000' })).toEqual({ ok: false, error: expect.stringMatching(/SENDER_LOCK_MS must be longer than a whole delivery/) });
    expect(await checkAppConfig('batcher', { SHARDS: '0' })).toEqual({ ok: false, error: expect.stringMatching(/SHARDS/) });
    expect(await checkAppConfig('admin', {})).toEqual({ ok: false, error: expect.stringMatching(/ADMIN_API_TOKENS is required/) });
  });

  it('refuses production without an encryption key, and test-only settings in production', async () => {
    for (const app of ['sender', 'admin'] as const) {
      const check = await checkAppConfig(app, { NODE_ENV: 'production', ADMIN_API_TOKENS: 't' });
      expect([app, check]).toEqual([app, { ok: false, error: expect.stringMatching(/SECRETS_ENCRYPTION_KEY is required when NODE_ENV=production/) }]);
      expect(await checkAppConfig(app, { NODE_ENV: 'production', ADMIN_API_TOKENS: 't', SECRETS_ENCRYPTION_KEY: KEY })).toMatchObject({ ok: true });
    }
    expect(await checkAppConfig('batcher', { NODE_ENV: 'production', BATCHER_FAILPOINT_PAUSE_BEFORE_ACK_MS: '100' })).toEqual({ ok: false, error: expect.stringMatching(/BATCHER_FAILPOINT_PAUSE_BEFORE_ACK_MS is a test-only failpoint/) });
  });
});

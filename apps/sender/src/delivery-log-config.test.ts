import { describe, expect, it } from '@jest/globals';
import { loadConfig } from './config.js';

const KEY = Buffer.alloc(32, 7).toString('base64');

describe('the delivery log settings', () => {
  it('default to the contract: 200 of any status, 500 failed, 7 days, on', () => {
    expect(loadConfig({})).toMatchObject({
      DELIVERY_LOG_KEEP: 200,
      DELIVERY_LOG_KEEP_FAILED: 500,
      DELIVERY_LOG_RETENTION_MS: 7 * 24 * 3_600_000,
      DELIVERY_LOG_BATCH_RETENTION_MS: 7 * 24 * 3_600_000,
      DELIVERY_LOG_ENABLED: true,
    });
    expect(loadConfig({ DELIVERY_LOG_KEEP: '5', DELIVERY_LOG_BATCH_RETENTION_MS: '1000' })).toMatchObject({ DELIVERY_LOG_KEEP: 5, DELIVERY_LOG_BATCH_RETENTION_MS: 1000 });
  });

  it.each([
    ['DELIVERY_LOG_KEEP', '0'],
    // The contract's retention is a ceiling: never more than 200 / 500 per webhook.
    ['DELIVERY_LOG_KEEP', '201'],
    ['DELIVERY_LOG_KEEP_FAILED', '501'],
    ['DELIVERY_LOG_KEEP_FAILED', 'many'],
    ['DELIVERY_LOG_RETENTION_MS', String(8 * 24 * 3_600_000)],
    ['DELIVERY_LOG_BATCH_RETENTION_MS', '10'],
    ['DELIVERY_LOG_ENABLED', 'maybe'],
  ])('refuses %s=%s, naming it', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`invalid configuration: ${name}`));
  });

  it('refuses to run without the log in production: it is only for the benchmark', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', SECRETS_ENCRYPTION_KEY: KEY, DELIVERY_LOG_ENABLED: 'false' })).toThrow(/DELIVERY_LOG_ENABLED cannot be false when NODE_ENV=production/);
    expect(loadConfig({ DELIVERY_LOG_ENABLED: 'false' }).DELIVERY_LOG_ENABLED).toBe(false);
  });
});

import { describe, expect, it } from '@jest/globals';
import { ConfigError } from '@outboundiq/core';
import { loadConfig } from './config.js';

describe('loadConfig', () => {
  it('leaves the test-only failpoint off unless it is set', () => {
    expect(loadConfig({}).BATCHER_FAILPOINT_PAUSE_BEFORE_ACK_MS).toBeUndefined();
    expect(loadConfig({ BATCHER_FAILPOINT_PAUSE_BEFORE_ACK_MS: '60000', NODE_ENV: 'test' }).BATCHER_FAILPOINT_PAUSE_BEFORE_ACK_MS).toBe(60_000);
  });

  it('refuses the failpoint with NODE_ENV=production, naming it', () => {
    const load = () => loadConfig({ BATCHER_FAILPOINT_PAUSE_BEFORE_ACK_MS: '60000', NODE_ENV: 'production' });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/BATCHER_FAILPOINT_PAUSE_BEFORE_ACK_MS is a test-only failpoint/);
    expect(() => loadConfig({ NODE_ENV: 'production' })).not.toThrow();
  });

  it('refuses a failpoint value that is not a whole number of ms', () => {
    expect(() => loadConfig({ BATCHER_FAILPOINT_PAUSE_BEFORE_ACK_MS: 'soon' })).toThrow(/BATCHER_FAILPOINT_PAUSE_BEFORE_ACK_MS/);
  });
});

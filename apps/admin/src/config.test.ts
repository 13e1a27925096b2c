import { describe, expect, it } from '@jest/globals';
import { ConfigError } from '@outboundiq/core';
import { loadConfig } from './config.js';

describe('loadConfig', () => {
  it('applies the defaults of CONTRACT section 4', () => {
    const config = loadConfig({ ADMIN_API_TOKENS: 'one' });
    expect(config).toMatchObject({
      PORT: 3000,
      HOST: '0.0.0.0',
      ADMIN_API_TOKENS: ['one'],
      REDIS_URL: 'redis://127.0.0.1:6379',
      KEY_PREFIX: 'oiq',
      LOG_LEVEL: 'info',
      ALLOW_PRIVATE_DESTINATIONS: false,
      PUBLIC_URL: 'http://localhost:3000',
      PORTAL_FRAME_ANCESTORS: [],
      TRUST_PROXY: false,
    });
  });

  it('reads TRUST_PROXY as a number of proxies, or their addresses and CIDR ranges', () => {
    expect(loadConfig({ ADMIN_API_TOKENS: 'a', TRUST_PROXY: '1' }).TRUST_PROXY).toBe(1);
    expect(loadConfig({ ADMIN_API_TOKENS: 'a', TRUST_PROXY: '10.0.0.0/8, 127.0.0.1,fd00::/8' }).TRUST_PROXY).toEqual(['10.0.0.0/8', '127.0.0.1', 'fd00::/8']);
  });

  it('reads PUBLIC_URL (no trailing slash) and PORTAL_FRAME_ANCESTORS (comma or space separated)', () => {
    const config = loadConfig({ ADMIN_API_TOKENS: 'a', PUBLIC_URL: 'https://webhooks.outboundiq.com/', PORTAL_FRAME_ANCESTORS: 'https://app.outboundiq.com, https://*.outboundiq.com https://localhost:8443' });
    expect(config.PUBLIC_URL).toBe('https://webhooks.outboundiq.com');
    expect(config.PORTAL_FRAME_ANCESTORS).toEqual(['https://app.outboundiq.com', 'https://*.outboundiq.com', 'https://localhost:8443']);
  });

  it('reads every value given', () => {
    const config = loadConfig({
      ADMIN_API_TOKENS: ' first , second ',
      PORT: '8080',
      HOST: '127.0.0.1',
      KEY_PREFIX: 'stack-2',
      ALLOW_PRIVATE_DESTINATIONS: 'true',
      LOG_LEVEL: 'debug',
    });
    expect(config).toMatchObject({ ADMIN_API_TOKENS: ['first', 'second'], PORT: 8080, HOST: '127.0.0.1', KEY_PREFIX: 'stack-2', ALLOW_PRIVATE_DESTINATIONS: true, LOG_LEVEL: 'debug' });
  });

  const bad: [string, Record<string, string>, string][] = [
    ['missing ADMIN_API_TOKENS', {}, 'ADMIN_API_TOKENS'],
    ['empty ADMIN_API_TOKENS', { ADMIN_API_TOKENS: '' }, 'ADMIN_API_TOKENS'],
    ['an empty token in the list', { ADMIN_API_TOKENS: 'a,,b' }, 'ADMIN_API_TOKENS'],
    ['a trailing comma', { ADMIN_API_TOKENS: 'a,' }, 'ADMIN_API_TOKENS'],
    ['PORT=abc', { ADMIN_API_TOKENS: 'a', PORT: 'abc' }, 'PORT'],
    ['PORT=70000', { ADMIN_API_TOKENS: 'a', PORT: '70000' }, 'PORT'],
    ['PORT=80.5', { ADMIN_API_TOKENS: 'a', PORT: '80.5' }, 'PORT'],
    ['REDIS_URL not redis://', { ADMIN_API_TOKENS: 'a', REDIS_URL: 'http://x' }, 'REDIS_URL'],
    ['LOG_LEVEL unknown', { ADMIN_API_TOKENS: 'a', LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    ['ALLOW_PRIVATE_DESTINATIONS=yes', { ADMIN_API_TOKENS: 'a', ALLOW_PRIVATE_DESTINATIONS: 'yes' }, 'ALLOW_PRIVATE_DESTINATIONS'],
    ['SECRETS_ENCRYPTION_KEY too short', { ADMIN_API_TOKENS: 'a', SECRETS_ENCRYPTION_KEY: 'c2hvcnQ=' }, 'SECRETS_ENCRYPTION_KEY'],
    ['PUBLIC_URL not a URL', { ADMIN_API_TOKENS: 'a', PUBLIC_URL: 'webhooks.outboundiq.com' }, 'PUBLIC_URL'],
    ['PUBLIC_URL with a fragment', { ADMIN_API_TOKENS: 'a', PUBLIC_URL: 'https://x.example/#a' }, 'PUBLIC_URL'],
    ['PUBLIC_URL ftp://', { ADMIN_API_TOKENS: 'a', PUBLIC_URL: 'ftp://x.example' }, 'PUBLIC_URL'],
    ["PORTAL_FRAME_ANCESTORS slipping in a directive", { ADMIN_API_TOKENS: 'a', PORTAL_FRAME_ANCESTORS: "https://a.example; script-src 'unsafe-inline'" }, 'PORTAL_FRAME_ANCESTORS'],
    ['PORTAL_FRAME_ANCESTORS *', { ADMIN_API_TOKENS: 'a', PORTAL_FRAME_ANCESTORS: '*' }, 'PORTAL_FRAME_ANCESTORS'],
    ['TRUST_PROXY=true (anyone could name any address)', { ADMIN_API_TOKENS: 'a', TRUST_PROXY: 'true' }, 'TRUST_PROXY'],
    ['TRUST_PROXY=0', { ADMIN_API_TOKENS: 'a', TRUST_PROXY: '0' }, 'TRUST_PROXY'],
    ['TRUST_PROXY with a bad range', { ADMIN_API_TOKENS: 'a', TRUST_PROXY: '10.0.0.0/33' }, 'TRUST_PROXY'],
    ['PORTAL_FRAME_ANCESTORS with a path', { ADMIN_API_TOKENS: 'a', PORTAL_FRAME_ANCESTORS: 'https://a.example/app' }, 'PORTAL_FRAME_ANCESTORS'],
  ];

  it.each(bad)('%s: throws a ConfigError naming the variable', (_label, env, variable) => {
    let thrown: unknown;
    try {
      loadConfig(env);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as Error).message).toContain(variable);
  });

  it('names every bad variable at once', () => {
    expect(() => loadConfig({ PORT: 'abc' })).toThrow(/PORT.*ADMIN_API_TOKENS|ADMIN_API_TOKENS.*PORT/);
  });
});

import { describe, expect, it } from '@jest/globals';
import { createHmac, randomBytes } from 'node:crypto';
import {
  ConfigError,
  SecretBox,
  buildPayloadBody,
  commonEnvShape,
  createKeys,
  deriveDeliveryId,
  envInt,
  generateSigningSecret,
  parseEnv,
  secretBoxFromEnv,
  signBody,
  verifySignature,
} from './index.js';

describe('signing', () => {
  it('is the doc recipe: sha256= + lowercase hex HMAC-SHA256 of the raw body, keyed by the secret string', () => {
    const body = buildPayloadBody('550e8400-e29b-41d4-a716-446655440000', new Date('2026-04-10T18:32:16.842Z'), '[]');
    const expected = createHmac('sha256', Buffer.from('whsec_abc', 'utf8')).update(Buffer.from(body, 'utf8')).digest('hex');
    expect(signBody(body, 'whsec_abc')).toBe(`sha256=${expected}`);
    expect(verifySignature(body, `sha256=${expected}`, 'whsec_abc')).toBe(true);
    expect(verifySignature(body, `sha256=${expected}`, 'whsec_abd')).toBe(false);
    expect(verifySignature(body, expected, 'whsec_abc')).toBe(false);
    expect(verifySignature(body, undefined, 'whsec_abc')).toBe(false);
  });

  it('builds the body in the doc order, as valid JSON', () => {
    const body = buildPayloadBody('550e8400-e29b-41d4-a716-446655440000', new Date('2026-04-10T18:32:16.842Z'), '[{"a":1}]');
    expect(JSON.parse(body)).toEqual({ event: 'dial.batch', deliveryId: '550e8400-e29b-41d4-a716-446655440000', deliveredAt: '2026-04-10T18:32:16.842Z', dials: [{ a: 1 }] });
  });

  it('makes fresh secrets', () => {
    const a = generateSigningSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(generateSigningSecret()).not.toBe(a);
  });
});

describe('deriveDeliveryId', () => {
  it('is a v4-shaped UUID, the same for the same batch and different for another', () => {
    const id = deriveDeliveryId(['oiq', 'acme', 'wh_1', '1-0/0', '5-0/0']);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(deriveDeliveryId(['oiq', 'acme', 'wh_1', '1-0/0', '5-0/0'])).toBe(id);
    expect(deriveDeliveryId(['oiq', 'acme', 'wh_2', '1-0/0', '5-0/0'])).not.toBe(id);
    expect(deriveDeliveryId(['oiq', 'acme', 'wh_1', '1-0/0', '6-0/0'])).not.toBe(id);
  });
});

describe('SecretBox', () => {
  const box = new SecretBox(randomBytes(32));

  it('round-trips, never stores the plaintext, and binds the ciphertext to its webhook', () => {
    const sealed = box.seal('whsec_secret', 'wh_1');
    expect(sealed).not.toContain('whsec_secret');
    expect(box.open(sealed, 'wh_1')).toBe('whsec_secret');
    expect(() => box.open(sealed, 'wh_2')).toThrow(/does not decrypt/);
    expect(() => new SecretBox(randomBytes(32)).open(sealed, 'wh_1')).toThrow(/does not decrypt/);
    expect(box.seal('whsec_secret', 'wh_1')).not.toBe(sealed);
  });

  it('refuses keys that are not 32 bytes, and a missing key in production', () => {
    expect(() => new SecretBox(randomBytes(16))).toThrow(ConfigError);
    expect(() => secretBoxFromEnv(undefined, 'production')).toThrow(/SECRETS_ENCRYPTION_KEY/);
    expect(secretBoxFromEnv(undefined, 'development').usedDevKey).toBe(true);
    expect(secretBoxFromEnv(randomBytes(32).toString('base64'), 'production').usedDevKey).toBe(false);
  });
});

describe('parseEnv', () => {
  const shape = { ...commonEnvShape, PORT: envInt(0, 65535).default(3000) };

  it('reads cluster seeds as host:port or redis[s]:// URLs, credentials and TLS included', () => {
    expect(parseEnv(shape, { REDIS_CLUSTER_NODES: '10.0.0.5:6379, 10.0.0.6:7000', SHARDS: '16' })).toMatchObject({
      REDIS_CLUSTER_NODES: { nodes: [{ host: '10.0.0.5', port: 6379 }, { host: '10.0.0.6', port: 7000 }], tls: false },
      SHARDS: 16,
    });
    expect(parseEnv(shape, { REDIS_CLUSTER_NODES: 'rediss://default:p%40ss@clustercfg.example.cache.amazonaws.com:6379' }).REDIS_CLUSTER_NODES).toEqual({
      nodes: [{ host: 'clustercfg.example.cache.amazonaws.com', port: 6379 }], tls: true, username: 'default', password: 'p@ss',
    });
    expect(parseEnv(shape, {})).toMatchObject({ SHARDS: 1 });
    expect(parseEnv(shape, {}).REDIS_CLUSTER_NODES).toBeUndefined();
  });

  it('applies the contract defaults', () => {
    expect(parseEnv(shape, {})).toMatchObject({ REDIS_URL: 'redis://127.0.0.1:6379', KEY_PREFIX: 'oiq', LOG_LEVEL: 'info', ALLOW_PRIVATE_DESTINATIONS: false, PORT: 3000 });
  });

  it.each([
    ['PORT', { PORT: 'abc' }],
    ['PORT', { PORT: '70000' }],
    ['REDIS_URL', { REDIS_URL: 'http://x' }],
    ['KEY_PREFIX', { KEY_PREFIX: 'a:b' }],
    ['SHARDS', { SHARDS: '0' }],
    ['SHARDS', { SHARDS: '1.5' }],
    ['SHARDS', { SHARDS: 'four' }],
    ['SHARDS', { SHARDS: '257' }],
    ['REDIS_CLUSTER_NODES', { REDIS_CLUSTER_NODES: '10.0.0.5' }],
    ['REDIS_CLUSTER_NODES', { REDIS_CLUSTER_NODES: '10.0.0.5:6379,,10.0.0.6:6379' }],
    ['REDIS_CLUSTER_NODES', { REDIS_CLUSTER_NODES: '10.0.0.5:99999' }],
    ['REDIS_CLUSTER_NODES', { REDIS_CLUSTER_NODES: 'http://10.0.0.5:6379' }],
    ['REDIS_CLUSTER_NODES', { REDIS_CLUSTER_NODES: 'redis://a:6379,rediss://b:6379' }],
    ['REDIS_CLUSTER_NODES', { REDIS_CLUSTER_NODES: 'redis://a:6379/2' }],
    ['LOG_LEVEL', { LOG_LEVEL: 'loud' }],
    ['SECRETS_ENCRYPTION_KEY', { SECRETS_ENCRYPTION_KEY: 'c2hvcnQ=' }],
    ['ALLOW_PRIVATE_DESTINATIONS', { ALLOW_PRIVATE_DESTINATIONS: 'yes' }],
    ['ALLOW_PRIVATE_DESTINATIONS', { ALLOW_PRIVATE_DESTINATIONS: 'true', NODE_ENV: 'production' }],
  ])('stops on a bad %s, naming it', (name, env) => {
    expect(() => parseEnv(shape, env)).toThrow(ConfigError);
    expect(() => parseEnv(shape, env)).toThrow(new RegExp(name));
  });

  it('refuses any *_FAILPOINT_* variable with NODE_ENV=production, naming it', () => {
    const withFailpoint = { ...shape, APP_FAILPOINT_PAUSE_MS: envInt(1, 1_000).optional() };
    expect(parseEnv(withFailpoint, { APP_FAILPOINT_PAUSE_MS: '5', NODE_ENV: 'test' }).APP_FAILPOINT_PAUSE_MS).toBe(5);
    expect(() => parseEnv(withFailpoint, { NODE_ENV: 'production' })).not.toThrow();
    expect(() => parseEnv(withFailpoint, { APP_FAILPOINT_PAUSE_MS: '5', NODE_ENV: 'production' })).toThrow(/APP_FAILPOINT_PAUSE_MS is a test-only failpoint/);
  });
});

describe('keys', () => {
  it('puts every key under the prefix, and a company\'s keys under its shard\'s hash tag', () => {
    const keys = createKeys('stack1', 4);
    const shard = keys.shardOfCompany('acme');
    for (const key of [keys.dials('acme'), keys.webhooks('acme'), keys.deadLetters('acme'), keys.portalSession('acme', 'ab12'), keys.portalGeneration('acme')]) {
      expect(key).toMatch(new RegExp(`^stack1:\\{${shard.tag}\\}:c:acme:`));
    }
    for (const key of [shard.enabledCompanies(), shard.ready(), shard.leases(), shard.owners(), shard.bullPrefix(), keys.layout(), keys.authFailuresPrefix()]) {
      expect(key.startsWith('stack1:')).toBe(true);
    }
  });
});

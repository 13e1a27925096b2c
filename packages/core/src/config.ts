import { createHash } from 'node:crypto';
import { z } from 'zod';
import { ConfigError } from './errors.js';
import { DEFAULT_KEY_PREFIX } from './keys.js';
import { parseClusterNodes, type ClusterTarget } from './redis.js';
import { MAX_SHARDS } from './shards.js';
import { SecretBox } from './secret-box.js';
import { issuesOf } from './validation.js';

/** `true`/`false` (any case, also 1/0): anything else is an error, never silently false. */
export const envBoolean = z
  .string()
  .trim()
  .toLowerCase()
  .refine((v) => ['true', 'false', '1', '0'].includes(v), 'must be true or false')
  .transform((v) => v === 'true' || v === '1');

export const envInt = (min: number, max: number) =>
  z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(min, `must be >= ${min}`).max(max, `must be <= ${max}`);

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Variables every process reads (CONTRACT section 4). */
export const commonEnvShape = {
  NODE_ENV: z.string().default('development'),
  REDIS_URL: z
    .string()
    .default('redis://127.0.0.1:6379')
    .refine((v) => /^rediss?:\/\/[^\s]+$/.test(v), 'must be a redis:// or rediss:// URL'),
  KEY_PREFIX: z
    .string()
    .default(DEFAULT_KEY_PREFIX)
    .refine((v) => /^[A-Za-z0-9_.-]{1,64}$/.test(v), 'must be 1-64 characters of letters, digits, "_", "." and "-"'),
  /** Seeds of a Redis Cluster; when set, REDIS_URL is not used. */
  REDIS_CLUSTER_NODES: z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined) return undefined;
      try {
        return parseClusterNodes(value);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
        return z.NEVER;
      }
    }),
  /** Fixed for the life of the data: stored in Redis by the first process, checked by every other. */
  SHARDS: envInt(1, MAX_SHARDS).default(1),
  LOG_LEVEL: z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }).default('info'),
  SECRETS_ENCRYPTION_KEY: z
    .string()
    .optional()
    .refine((v) => v === undefined || Buffer.from(v, 'base64').length === 32, 'must be base64 of exactly 32 bytes'),
  ALLOW_PRIVATE_DESTINATIONS: envBoolean.default(false),
};

/**
 * Parses `env` against a shape of variables. Empty strings count as unset, so `FOO=` means the
 * default. A bad value throws a ConfigError naming every bad variable.
 */
export function parseEnv<S extends z.ZodRawShape>(shape: S, env: NodeJS.ProcessEnv): z.output<z.ZodObject<S>> {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = z.object(shape).superRefine(refineCommon).safeParse(cleaned);
  if (!result.success) {
    const details = issuesOf(result.error).map((i) => `${i.field} ${i.message}`);
    throw new ConfigError(`invalid configuration: ${details.join('; ')}`);
  }
  return result.data;
}

function refineCommon(value: Record<string, unknown>, ctx: z.RefinementCtx): void {
  if (value.ALLOW_PRIVATE_DESTINATIONS === true && value.NODE_ENV === 'production') {
    ctx.addIssue({ code: 'custom', path: ['ALLOW_PRIVATE_DESTINATIONS'], message: 'cannot be true when NODE_ENV=production' });
  }
  // Failpoints (`<APP>_FAILPOINT_*`) make an app misbehave on purpose for the fault suite: a
  // production process that has one set is refused, whichever app declares it.
  for (const [name, setting] of Object.entries(value)) {
    if (name.includes('_FAILPOINT_') && setting !== undefined && value.NODE_ENV === 'production') {
      ctx.addIssue({ code: 'custom', path: [name], message: 'is a test-only failpoint and cannot be set when NODE_ENV=production' });
    }
  }
}

/** Where an app's Redis is: one Redis (REDIS_URL), or a cluster (REDIS_CLUSTER_NODES), for createRedisClient. */
export function redisTarget(config: { REDIS_URL: string; REDIS_CLUSTER_NODES?: ClusterTarget | undefined }): { url: string } | { cluster: ClusterTarget } {
  return config.REDIS_CLUSTER_NODES ? { cluster: config.REDIS_CLUSTER_NODES } : { url: config.REDIS_URL };
}

/** Fixed and public: it only lets a local stack start without set-up. Never used in production. */
const DEV_SECRETS_KEY = createHash('sha256').update('outboundiq local development key').digest();

/** The secret box from SECRETS_ENCRYPTION_KEY, or the dev key (the caller logs `usedDevKey` as a warning). */
export function secretBoxFromEnv(value: string | undefined, nodeEnv: string): { box: SecretBox; usedDevKey: boolean } {
  if (value === undefined && nodeEnv === 'production') {
    throw new ConfigError('invalid configuration: SECRETS_ENCRYPTION_KEY is required when NODE_ENV=production');
  }
  return value === undefined
    ? { box: new SecretBox(DEV_SECRETS_KEY), usedDevKey: true }
    : { box: SecretBox.fromBase64(value), usedDevKey: false };
}

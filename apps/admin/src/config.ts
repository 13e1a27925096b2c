import { commonEnvShape, envInt, parseEnv } from '@outboundiq/core';
import { z } from 'zod';

/** Comma-separated bearer tokens; an empty entry is refused rather than silently dropped (a typo would go unnoticed). */
const adminTokens = z
  .string({ error: (issue) => (issue.input === undefined ? 'is required (comma-separated bearer tokens)' : 'must be a string') })
  .transform((value, ctx) => {
    const tokens = value.split(',').map((t) => t.trim());
    if (tokens.some((t) => t === '')) {
      ctx.addIssue({ code: 'custom', message: 'must be comma-separated non-empty tokens' });
      return z.NEVER;
    }
    return tokens;
  });

const adminEnvShape = {
  ...commonEnvShape,
  PORT: envInt(0, 65_535).default(3000),
  HOST: z.string().trim().min(1, 'must not be empty').default('0.0.0.0'),
  ADMIN_API_TOKENS: adminTokens,
};

export type AdminConfig = ReturnType<typeof loadConfig>;

/** The admin app's settings; throws a ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv) {
  return parseEnv(adminEnvShape, env);
}

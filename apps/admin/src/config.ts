import { isIP } from 'node:net';
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

/** PUBLIC_URL: an absolute http(s) URL; portal links are `<it>/settings/webhooks#session=...`. */
const publicUrl = z
  .string()
  .default('http://localhost:3000')
  .refine((v) => {
    try {
      const url = new URL(v);
      return (url.protocol === 'https:' || url.protocol === 'http:') && url.search === '' && url.hash === '' && url.username === '';
    } catch {
      return false;
    }
  }, 'must be an absolute http:// or https:// URL without query, fragment or user info')
  .transform((v) => v.replace(/\/+$/, ''));

/**
 * PORTAL_FRAME_ANCESTORS: origins (comma or space separated) allowed to frame the Settings page,
 * CSP `frame-ancestors` sources. Only scheme://host[:port] (host may start with `*.`), so nothing
 * else can be slipped into the policy. Unset: 'none', the page cannot be framed.
 */
const FRAME_ANCESTOR = /^https?:\/\/(\*\.)?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*(:[0-9]{1,5})?$/;
const frameAncestors = z
  .string()
  .optional()
  .transform((value, ctx) => {
    if (value === undefined) return [] as string[];
    const origins = value.split(/[\s,]+/).filter((o) => o !== '');
    const bad = origins.filter((o) => !FRAME_ANCESTOR.test(o));
    if (bad.length > 0) {
      ctx.addIssue({ code: 'custom', message: `must be origins like https://app.example.com, comma-separated (not: ${bad.join(', ')})` });
      return z.NEVER;
    }
    return origins;
  });

/**
 * TRUST_PROXY: which proxies' X-Forwarded-For names the client, for counting failed sign-ins per
 * client (auth-failures.ts) and for logs. Unset: none, the peer's address is the client. A number
 * (1-10): that many proxies in front (an ingress is 1). Otherwise the proxies' addresses or CIDR
 * ranges, comma-separated. Never "trust everyone": a client could then name any address it likes
 * and so escape the count.
 */
const trustProxy = z
  .string()
  .optional()
  .transform((value, ctx): number | string[] | false => {
    if (value === undefined || value.trim() === '') return false;
    if (/^[0-9]+$/.test(value.trim())) {
      const hops = Number(value.trim());
      if (hops >= 1 && hops <= 10) return hops;
      ctx.addIssue({ code: 'custom', message: 'must be 1-10 proxies, or their addresses or CIDR ranges' });
      return z.NEVER;
    }
    const entries = value.split(',').map((e) => e.trim());
    const bad = entries.filter((e) => {
      const [address, bits, ...rest] = e.split('/');
      const family = isIP(address ?? '');
      if (family === 0 || rest.length > 0) return true;
      if (bits === undefined) return false;
      return !/^[0-9]{1,3}$/.test(bits) || Number(bits) > (family === 4 ? 32 : 128);
    });
    if (bad.length > 0) {
      ctx.addIssue({ code: 'custom', message: `must be a number of proxies (1-10) or addresses/CIDR ranges, comma-separated (not: ${bad.join(', ')})` });
      return z.NEVER;
    }
    return entries;
  });

const adminEnvShape = {
  ...commonEnvShape,
  PORT: envInt(0, 65_535).default(3000),
  HOST: z.string().trim().min(1, 'must not be empty').default('0.0.0.0'),
  ADMIN_API_TOKENS: adminTokens,
  PUBLIC_URL: publicUrl,
  PORTAL_FRAME_ANCESTORS: frameAncestors,
  TRUST_PROXY: trustProxy,
};

export type AdminConfig = ReturnType<typeof loadConfig>;

/** The admin app's settings; throws a ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv) {
  return parseEnv(adminEnvShape, env);
}

import { createHash, randomBytes } from 'node:crypto';
import { companySlugSchema, type Keys, type RedisClient } from '@outboundiq/core';

/**
 * Portal sessions (CONTRACT section 3.2): a sign-in for one company's Settings page, made by
 * outboundIQ's own app with an admin token. A token reads `oiqps.<company>.<secret>`:
 * - `<company>`: the slug, base64url: the page learns its company from it, and the lookup goes
 *   straight to the company's slot (keys.ts), one round trip on a cluster too;
 * - `<secret>`: 32 random bytes, base64url.
 * Redis holds only the SHA-256 of the whole token (a changed company part finds nothing), valued
 * `<generation>:<expiresAtMs>` and expiring with the session. Revoking is one INCR of the company's
 * generation: every older session stops at once, wherever it is checked.
 */
export const PORTAL_TOKEN_PREFIX = 'oiqps';
const SECRET_LENGTH = 43; // base64url of 32 bytes
const TOKEN_SHAPE = /^oiqps\.([A-Za-z0-9_-]{1,172})\.([A-Za-z0-9_-]{43})$/;

export const PORTAL_TTL = { min: 60, max: 86_400, default: 3_600 } as const;

/** Records a session under the generation current at that moment, atomically (one slot). */
const CREATE_SCRIPT = `
local generation = redis.call('GET', KEYS[2]) or '0'
redis.call('SET', KEYS[1], generation .. ':' .. ARGV[1], 'PXAT', ARGV[1])
return generation
`;

export interface PortalSession {
  token: string;
  expiresAt: Date;
}

export interface PortalSessions {
  create(company: string, ttlSeconds: number): Promise<PortalSession>;
  /** Every session of the company stops at once. */
  revokeAll(company: string): Promise<void>;
  /** Whether a string is shaped like a portal token (and so worth a look-up). */
  looksLikeToken(candidate: string): boolean;
  /** The company of a live session, or null: unknown, expired, revoked, malformed. */
  verify(token: string): Promise<string | null>;
}

type SessionClient = RedisClient & { oiqPortalCreate(session: string, generation: string, expiresAtMs: number): Promise<string> };

export function createPortalSessions(deps: { redis: RedisClient; keys: Keys; now?: () => number }): PortalSessions {
  const { keys } = deps;
  const now = deps.now ?? Date.now;
  const redis = deps.redis as SessionClient;
  if (typeof redis.oiqPortalCreate !== 'function') redis.defineCommand('oiqPortalCreate', { numberOfKeys: 2, lua: CREATE_SCRIPT });

  return {
    async create(company, ttlSeconds) {
      const token = [PORTAL_TOKEN_PREFIX, Buffer.from(company, 'utf8').toString('base64url'), randomBytes(32).toString('base64url')].join('.');
      const expiresAtMs = now() + ttlSeconds * 1000;
      await redis.oiqPortalCreate(keys.portalSession(company, hashToken(token)), keys.portalGeneration(company), expiresAtMs);
      return { token, expiresAt: new Date(expiresAtMs) };
    },

    async revokeAll(company) {
      await redis.incr(keys.portalGeneration(company));
    },

    looksLikeToken: (candidate) => candidate.startsWith(`${PORTAL_TOKEN_PREFIX}.`),

    async verify(token) {
      const company = companyOf(token);
      if (company === null) return null;
      // Both keys carry the company's tag: one slot, one round trip.
      const [session, generation] = await redis.mget(keys.portalSession(company, hashToken(token)), keys.portalGeneration(company));
      if (session === null || session === undefined) return null;
      const [madeUnder, expiresAtMs] = session.split(':');
      if (madeUnder !== (generation ?? '0')) return null;
      return now() < Number(expiresAtMs) ? company : null;
    },
  };
}

/** The company a well-formed token names, or null. */
export function companyOf(token: string): string | null {
  const match = TOKEN_SHAPE.exec(token);
  if (match === null || match[2]!.length !== SECRET_LENGTH) return null;
  const company = Buffer.from(match[1]!, 'base64url').toString('utf8');
  // Only the canonical encoding: another spelling of the same slug is another token.
  if (Buffer.from(company, 'utf8').toString('base64url') !== match[1]) return null;
  return companySlugSchema.safeParse(company).success ? company : null;
}

function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuthFailures } from './auth-failures.js';
import { forbidden, tooManyFailures, unauthorized } from './errors.js';
import type { PortalSessions } from './portal-sessions.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Reachable without a token (health checks, the API description). */
    public?: boolean;
  }
}

export const AUTH_REALM = 'outboundIQ';

/**
 * Checks a presented token against the configured ones. Both sides are hashed first so that
 * timingSafeEqual always compares 32 bytes: a token of another length neither throws nor leaks its
 * length through timing. Every configured token is compared, with no early exit.
 */
export function createTokenCheck(tokens: readonly string[]): (candidate: string) => boolean {
  const digests = tokens.map(sha256);
  return (candidate) => {
    const presented = sha256(candidate);
    let match = false;
    for (const digest of digests) match = timingSafeEqual(presented, digest) || match;
    return match;
  };
}

function sha256(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/** `Bearer <token>` (scheme in any case), or null when the header is absent or malformed. */
export function bearerToken(header: string | undefined): string | null {
  const match = /^Bearer +(\S+) *$/i.exec(header ?? '');
  return match?.[1] ?? null;
}

/** The password of `Basic base64(user:password)`; any username is accepted. */
export function basicPassword(header: string | undefined): string | null {
  const match = /^Basic +([A-Za-z0-9+/]+={0,2}) *$/i.exec(header ?? '');
  if (!match) return null;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon === -1 ? null : decoded.slice(colon + 1);
}

export interface AuthHookOptions {
  tokens: readonly string[];
  /** Paths under this prefix (the dashboard) also take HTTP Basic auth, so a browser can log in. */
  browserPrefix: string;
  /** Portal sessions: each token signs in to one company's webhooks only. */
  portal?: Pick<PortalSessions, 'looksLikeToken' | 'verify'>;
  /** Counts failed sign-ins per client address; absent, every failure is a plain 401. */
  failures?: AuthFailures;
}

/**
 * Answers 401, 403 or 429 (and returns the reply) unless the request may go on; undefined when it
 * may. Reads only the headers, the URL and the matched route, so it also serves requests the router
 * refused before any route or hook ran (framework-errors.ts).
 */
export type AuthCheck = (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply | undefined>;

/** Who a valid token signs in: an operator, or one company's portal session. */
type Principal = { kind: 'admin' } | { kind: 'portal'; company: string };

export function createAuthCheck(options: AuthHookOptions): AuthCheck {
  const isAdmin = createTokenCheck(options.tokens);
  const prefix = options.browserPrefix;
  const identify = async (candidate: string): Promise<Principal | null> => {
    if (isAdmin(candidate)) return { kind: 'admin' };
    if (options.portal?.looksLikeToken(candidate) !== true) return null;
    const company = await options.portal.verify(candidate);
    return company === null ? null : { kind: 'portal', company };
  };
  return async (request, reply) => {
    const header = request.headers.authorization;
    const path = request.url.split('?', 1)[0]!;
    const forBrowser = path === prefix || path.startsWith(`${prefix}/`);
    const bearer = bearerToken(header);
    const candidate = bearer ?? (forBrowser ? basicPassword(header) : null);
    const principal = candidate === null ? null : await identify(candidate);
    if (principal?.kind === 'admin') return undefined;
    if (principal?.kind === 'portal') return inPortalScope(request, path, principal.company) ? undefined : reply.code(403).send(forbidden().toBody());
    // A failure: counted against the address; past the limit it waits. A valid token never gets here.
    const waitSeconds = (await options.failures?.record(request.ip)) ?? null;
    if (waitSeconds !== null) return reply.code(429).header('retry-after', String(waitSeconds)).send(tooManyFailures(waitSeconds).toBody());
    // Answer here rather than throw: the dashboard's routes have bull-board's own error handler.
    const challenge = forBrowser ? `Basic realm="${AUTH_REALM}", charset="UTF-8"` : `Bearer realm="${AUTH_REALM}"`;
    return reply.code(401).header('www-authenticate', challenge).send(unauthorized().toBody());
  };
}

/**
 * Where a portal session may go: every route under `/v1/companies/:companySlug/webhooks` (those
 * added later too), for its own company. Read from the matched route and its parsed slug, as the
 * handler will see them; a path no route matched (a 404, a path the router refused) only when it
 * is under the company's own webhooks, so that anything else is 403, not a hint of what exists.
 */
export const PORTAL_ROUTE_PREFIX = '/v1/companies/:companySlug/webhooks';

function inPortalScope(request: FastifyRequest, path: string, company: string): boolean {
  const route = request.is404 ? undefined : request.routeOptions.url;
  if (route !== undefined) {
    const underWebhooks = route === PORTAL_ROUTE_PREFIX || route.startsWith(`${PORTAL_ROUTE_PREFIX}/`);
    return underWebhooks && (request.params as { companySlug?: unknown }).companySlug === company;
  }
  const match = /^\/v1\/companies\/([^/]*)\/webhooks(?:\/|$)/.exec(path);
  return match !== null && decodeSegment(match[1]!) === company;
}

function decodeSegment(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}

/**
 * One gate for every request, unknown routes included (a caller without a token learns nothing,
 * not even which routes exist). Routes opt out with `config: { public: true }`; there a portal
 * token is still refused (403), as everywhere outside its company's webhooks (CONTRACT section 3.2).
 */
export function createAuthHook(check: AuthCheck, portal?: Pick<PortalSessions, 'looksLikeToken'>) {
  return async function authenticate(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
    if (request.routeOptions.config?.public === true) {
      const bearer = bearerToken(request.headers.authorization);
      if (bearer === null || portal?.looksLikeToken(bearer) !== true) return undefined;
    }
    return check(request, reply);
  };
}

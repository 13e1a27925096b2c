import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { unauthorized } from './errors.js';

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
}

/**
 * Answers 401 (and returns the reply) unless the request carries a valid token; undefined when it
 * does. Reads only the headers and the URL, so it also serves requests the router refused before
 * any route or hook ran (framework-errors.ts).
 */
export type AuthCheck = (request: FastifyRequest, reply: FastifyReply) => FastifyReply | undefined;

export function createAuthCheck(options: AuthHookOptions): AuthCheck {
  const isValid = createTokenCheck(options.tokens);
  const prefix = options.browserPrefix;
  return (request, reply) => {
    const header = request.headers.authorization;
    const path = request.url.split('?', 1)[0]!;
    const forBrowser = path === prefix || path.startsWith(`${prefix}/`);
    const bearer = bearerToken(header);
    const candidate = bearer ?? (forBrowser ? basicPassword(header) : null);
    if (candidate !== null && isValid(candidate)) return undefined;
    // Answer here rather than throw: the dashboard's routes have bull-board's own error handler.
    const challenge = forBrowser ? `Basic realm="${AUTH_REALM}", charset="UTF-8"` : `Bearer realm="${AUTH_REALM}"`;
    return reply.code(401).header('www-authenticate', challenge).send(unauthorized().toBody());
  };
}

/**
 * One gate for every request, unknown routes included (a caller without a token learns nothing,
 * not even which routes exist). Routes opt out with `config: { public: true }`.
 */
export function createAuthHook(check: AuthCheck) {
  return async function authenticate(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
    if (request.routeOptions.config?.public === true) return undefined;
    return check(request, reply);
  };
}

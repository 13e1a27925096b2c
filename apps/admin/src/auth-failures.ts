import type { Logger, RedisClient } from '@outboundiq/core';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';

/**
 * Guessing slowed (issue 14): failed sign-ins are counted per client address, in Redis so that
 * every admin copy shares the count; past the limit, the address's failures are answered 429 for a
 * while. Only failures are counted and a valid token is never checked against the count (auth.ts),
 * so a correct token is never slowed, however many guesses share its address (a NAT, a proxy).
 */
export interface AuthFailureLimits {
  /** Failures allowed from one address within `windowSeconds`... */
  failures: number;
  windowSeconds: number;
  /** ...past which its failures are answered 429 for this long. */
  blockSeconds: number;
}

export const DEFAULT_AUTH_FAILURE_LIMITS: AuthFailureLimits = { failures: 10, windowSeconds: 60, blockSeconds: 300 };

export interface AuthFailures {
  /** Counts one failure of `address`: null while under the limit, else seconds to wait. */
  record(address: string): Promise<number | null>;
}

export function createAuthFailures(deps: { redis: RedisClient; keyPrefix: string; logger: Logger; limits?: AuthFailureLimits }): AuthFailures {
  const limits = deps.limits ?? DEFAULT_AUTH_FAILURE_LIMITS;
  const limiter = new RateLimiterRedis({
    storeClient: deps.redis,
    keyPrefix: deps.keyPrefix,
    points: limits.failures,
    duration: limits.windowSeconds,
    blockDuration: limits.blockSeconds,
  });
  return {
    async record(address) {
      try {
        await limiter.consume(address);
        return null;
      } catch (rejection) {
        if (rejection instanceof RateLimiterRes) return Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
        // Redis unreachable: the caller still gets its 401; counting resumes with Redis.
        deps.logger.warn({ err: rejection }, 'could not count a failed sign-in');
        return null;
      }
    },
  };
}

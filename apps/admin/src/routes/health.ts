import type { FastifyPluginAsync, onRequestHookHandler } from 'fastify';
import type { Redis } from '@outboundiq/core';
import { withTimeout } from '@outboundiq/runtime';

/** Readiness goes off first at shutdown, so a load balancer stops sending before the server closes. */
export interface Readiness {
  readonly shuttingDown: boolean;
  shutDown(): void;
  /** Why the admin cannot work yet (Redis unreachable, or being checked); undefined once started. */
  readonly starting: string | undefined;
  /** Redis is checked and the layout stored: the API may serve. */
  started(): void;
}

/** `startingReason` given: not started until `started()` (main.ts); without it, started (tests). */
export function createReadiness(startingReason?: () => string): Readiness {
  let shuttingDown = false;
  let starting = startingReason;
  return {
    get shuttingDown() {
      return shuttingDown;
    },
    shutDown() {
      shuttingDown = true;
    },
    get starting() {
      return starting?.();
    },
    started() {
      starting = undefined;
    },
  };
}

/**
 * While the admin starts (Redis not yet checked, the key layout maybe not stored), only the health
 * checks, the OpenAPI document and /metrics answer; every other route is 503 with the reason, so no
 * webhook can be written before the layout is.
 */
export function startingGate(readiness: Readiness): onRequestHookHandler {
  return async (request, reply) => {
    const reason = readiness.starting;
    if (reason === undefined) return;
    if ((request.routeOptions.config as { public?: boolean } | undefined)?.public === true || request.routeOptions.url === '/metrics') return;
    return reply.code(503).send({ error: { code: 'starting', message: `the admin is starting: ${reason}` } });
  };
}

export interface HealthRoutesOptions {
  redis: Pick<Redis, 'ping'>;
  readiness: Readiness;
  /** A probe must answer before the orchestrator's own timeout, whatever the client's settings. */
  pingTimeoutMs: number;
}

export const healthRoutes: FastifyPluginAsync<HealthRoutesOptions> = async (app, { redis, readiness, pingTimeoutMs }) => {
  app.get('/healthz', { config: { public: true } }, async () => ({ status: 'ok' }));

  app.get('/readyz', { config: { public: true } }, async (request, reply) => {
    if (readiness.shuttingDown) return reply.code(503).send({ status: 'shutting-down' });
    const starting = readiness.starting;
    if (starting !== undefined) return reply.code(503).send({ status: 'starting', reason: starting });
    try {
      await withTimeout(redis.ping(), pingTimeoutMs);
      return { status: 'ready' };
    } catch (err) {
      request.log.warn({ err }, 'readiness: redis did not answer PING');
      return reply.code(503).send({ status: 'redis-unavailable' });
    }
  });
};

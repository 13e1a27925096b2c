import type { FastifyPluginAsync } from 'fastify';
import type { Redis } from '@outboundiq/core';
import { withTimeout } from '@outboundiq/runtime';

/** Readiness goes off first at shutdown, so a load balancer stops sending before the server closes. */
export interface Readiness {
  readonly shuttingDown: boolean;
  shutDown(): void;
}

export function createReadiness(): Readiness {
  let shuttingDown = false;
  return {
    get shuttingDown() {
      return shuttingDown;
    },
    shutDown() {
      shuttingDown = true;
    },
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
    try {
      await withTimeout(redis.ping(), pingTimeoutMs);
      return { status: 'ready' };
    } catch (err) {
      request.log.warn({ err }, 'readiness: redis did not answer PING');
      return reply.code(503).send({ status: 'redis-unavailable' });
    }
  });
};

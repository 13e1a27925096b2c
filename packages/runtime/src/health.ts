import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { prepareRedis, type Keys, type Logger, type RedisClient } from '@outboundiq/core';
import { withTimeout } from './timeout.js';

export interface HealthServerOptions {
  port: number;
  host?: string;
  logger: Logger;
  /** Ready to take work (Redis answers, the app started, not shutting down), or why not. */
  ready: () => Promise<Readiness>;
  /** Prometheus text for GET /metrics, when the app has metrics. */
  metrics?: () => Promise<{ contentType: string; body: string }>;
}

/** What /readyz answers, as its JSON body: 200 when ready, else 503 with the reason. */
export type Readiness = { ready: true } | { ready: false; reason: string };

export const READY: Readiness = { ready: true };
export const notReady = (reason: string): Readiness => ({ ready: false, reason });

export interface HealthServer {
  port: number;
  close(): Promise<void>;
}

/** The workers' small HTTP face: /healthz (alive), /readyz (ready), /metrics. No auth: cluster-internal. */
export async function startHealthServer(options: HealthServerOptions): Promise<HealthServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const reply = (status: number, body: string, type = 'application/json') => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    if (req.method !== 'GET') return reply(405, '{"error":{"code":"method_not_allowed","message":"only GET"}}');
    if (path === '/healthz') return reply(200, '{"status":"ok"}');
    if (path === '/readyz') {
      return void options.ready().then(
        (state) => reply(state.ready ? 200 : 503, JSON.stringify(state)),
        (err: unknown) => reply(503, JSON.stringify(notReady(err instanceof Error ? err.message : String(err)))),
      );
    }
    if (path === '/metrics' && options.metrics) {
      return void options.metrics().then(
        ({ contentType, body }) => reply(200, body, contentType),
        (err: unknown) => {
          options.logger.error({ err }, 'metrics collection failed');
          reply(500, 'metrics collection failed\n', 'text/plain');
        },
      );
    }
    reply(404, '{"error":{"code":"not_found","message":"no such route"}}');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '0.0.0.0', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  options.logger.info({ port }, 'health server listening');
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** PING with a deadline: a worker client waits for Redis forever, a readiness probe must not. */
export async function pingWithin(redis: { ping(): Promise<string> }, ms = 1_000): Promise<boolean> {
  return withTimeout(redis.ping(), ms).then((reply) => reply === 'PONG', () => false);
}

/** Ready when Redis answers PING in time; else why not. */
export async function redisReadiness(redis: { ping(): Promise<string> }, ms = 1_000): Promise<Readiness> {
  return (await pingWithin(redis, ms)) ? READY : notReady('redis unreachable');
}

/**
 * Readiness before an app works: connecting to Redis (which a worker client waits for forever), or
 * checking it. Asks the connection's status rather than sending PINGs that would queue while down.
 */
export function startingReadiness(redis: { status: string }): Readiness {
  return notReady(redis.status === 'ready' ? 'checking redis (topology, eviction policy, key layout)' : 'redis unreachable');
}

export interface WorkerHealth extends HealthServer {
  /** What /readyz answers from now on (until then: connecting to, or checking, Redis). */
  setReadiness(check: () => Promise<Readiness>): void;
}

/**
 * A worker's start, in the order that keeps probes truthful: the health server first (/healthz at
 * once, /readyz 503 with the reason), then the checks of Redis (topology, eviction, layout). An
 * unreachable Redis is waited for (the worker client reconnects forever); a refusal closes the
 * client and the server and throws, so the process stops having written nothing.
 */
export async function startHealthThenPrepareRedis(options: {
  port: number;
  logger: Logger;
  redis: RedisClient;
  keys: Keys;
  metrics?: HealthServerOptions['metrics'];
}): Promise<WorkerHealth> {
  const { redis } = options;
  let check: () => Promise<Readiness> = async () => startingReadiness(redis);
  const server = await startHealthServer({ port: options.port, logger: options.logger, ready: () => check(), ...(options.metrics ? { metrics: options.metrics } : {}) });
  try {
    await prepareRedis(redis, options.keys, options.logger);
  } catch (err) {
    redis.disconnect();
    await server.close();
    throw err;
  }
  return { ...server, setReadiness: (next) => void (check = next) };
}

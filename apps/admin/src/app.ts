import type { HostCheck, Logger, Redis } from '@outboundiq/core';
import type { MetricsRegistry } from '@outboundiq/runtime';
import type { DialProducer } from '@outboundiq/webhook-producer';
import type { DeliveryLog, WebhookStore } from '@outboundiq/webhook-store';
import type { Queue } from 'bullmq';
import Fastify, { type FastifyError } from 'fastify';
import type { AuthFailures } from './auth-failures.js';
import { createAuthCheck, createAuthHook } from './auth.js';
import { BOARD_PATH, boardRoutes } from './board.js';
import { invalidRequest, notFound } from './errors.js';
import { BODY_LIMIT_BYTES, MAX_PARAM_LENGTH, answerClientError, createRouterRefusalHandler, toApiError } from './framework-errors.js';
import { buildOpenApiDocument } from './openapi.js';
import type { PortalSessions } from './portal-sessions.js';
import { createReadiness, healthRoutes, startingGate, type Readiness } from './routes/health.js';
import { deliveryRoutes } from './routes/deliveries.js';
import { createAdminMetrics, metricsRoutes } from './routes/metrics.js';
import { portalSessionRoutes } from './routes/portal-sessions.js';
import { settingsPageRoutes } from './routes/settings-page.js';
import { webhookRoutes } from './routes/webhooks.js';

export interface AppDeps {
  store: WebhookStore;
  /** Pinged by /readyz. */
  redis: Pick<Redis, 'ping'>;
  /** Every queue of the system, shown by the dashboard. */
  queues: readonly Queue[];
  logger: Logger;
  /** Publishes the sample dial of "Send a test dial" (on the admin's publisher client and KEY_PREFIX). */
  producer: Pick<DialProducer, 'publish'>;
  /** The built Settings -> Webhooks page (apps/admin/dist/web); without it the page is not served. */
  webRoot?: string;
  /** Company-scoped sign-ins for the page (CONTRACT section 3.2). */
  portalSessions: PortalSessions;
  /** Counts failed sign-ins per address (429 past the limit); absent, none is counted. */
  authFailures?: AuthFailures;
  config: {
    /** ADMIN_API_TOKENS. */
    adminTokens: readonly string[];
    /** Refuses webhook hosts (private networks); absent when they are allowed. */
    checkHost?: HostCheck | undefined;
    readyPingTimeoutMs?: number;
    /** PUBLIC_URL: portal session links point there. */
    publicUrl?: string;
    /** PORTAL_FRAME_ANCESTORS: who may frame the page. */
    frameAncestors?: readonly string[];
    /** TRUST_PROXY: proxies whose X-Forwarded-For names the client (fastify's trustProxy); none by default. */
    trustProxy?: number | string[] | false;
  };
  /** The customers' delivery log and where a resend is queued (absent: its routes are not served). */
  deliveries?: { log: DeliveryLog; shardOf(companySlug: string): number };
  /** Turned off by the shutdown sequence; a fresh one (ready) by default. */
  readiness?: Readiness;
  /** What GET /metrics shows; by default Node's process metrics and the delivery queue's depth. */
  metrics?: MetricsRegistry;
}

/** The admin API and dashboard, not listening: main.ts listens, tests use `inject`. */
export function buildApp(deps: AppDeps) {
  const checkAuth = createAuthCheck({
    tokens: deps.config.adminTokens,
    browserPrefix: BOARD_PATH,
    portal: deps.portalSessions,
    ...(deps.authFailures === undefined ? {} : { failures: deps.authFailures }),
  });
  // Every refusal fastify makes on its own answers in the contract's error body: see framework-errors.ts.
  const app = Fastify({
    loggerInstance: deps.logger,
    bodyLimit: BODY_LIMIT_BYTES,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    frameworkErrors: createRouterRefusalHandler(checkAuth),
    clientErrorHandler: answerClientError,
    trustProxy: trustedProxies(deps.config.trustProxy ?? false),
  });

  app.setErrorHandler((err: FastifyError, request, reply) => {
    const apiError = toApiError(err);
    if (apiError.statusCode >= 500) request.log.error({ err }, 'request failed');
    return reply.code(apiError.statusCode).send(apiError.toBody());
  });
  app.setNotFoundHandler((_request, reply) => reply.code(404).send(notFound('route').toBody()));

  // JSON only, and an empty body counts as none (POST rotate-secret takes no body, whatever curl sends).
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body.length === 0) return done(null, undefined);
    parseJson(request, body.toString(), (err: Error | null, value?: unknown) => {
      if (err) done(invalidRequest([{ field: 'body', message: 'is not valid JSON' }]), undefined);
      else done(null, value);
    });
  });

  app.addHook('onRequest', createAuthHook(checkAuth, deps.portalSessions));
  const readiness = deps.readiness ?? createReadiness();
  app.addHook('onRequest', startingGate(readiness));

  const openApi = buildOpenApiDocument();
  app.get('/v1/openapi.json', { config: { public: true } }, async () => openApi);
  app.register(healthRoutes, {
    redis: deps.redis,
    readiness,
    pingTimeoutMs: deps.config.readyPingTimeoutMs ?? 1_000,
  });
  app.register(webhookRoutes, { store: deps.store, checkHost: deps.config.checkHost, producer: deps.producer });
  app.register(portalSessionRoutes, { sessions: deps.portalSessions, publicUrl: deps.config.publicUrl ?? 'http://localhost:3000' });
  if (deps.deliveries !== undefined) {
    const { log, shardOf } = deps.deliveries;
    const queueOf = (company: string) => {
      const queue = deps.queues[shardOf(company)];
      if (queue === undefined) throw new Error(`no delivery queue for the shard of ${company}`);
      return queue;
    };
    app.register(deliveryRoutes, { store: deps.store, log, queueOf });
  }
  if (deps.webRoot !== undefined) app.register(settingsPageRoutes, { webRoot: deps.webRoot, frameAncestors: deps.config.frameAncestors ?? [] });
  app.register(boardRoutes, { queues: deps.queues });
  app.register(metricsRoutes, { metrics: deps.metrics ?? createAdminMetrics(deps.queues) });
  return app;
}

export type AdminApp = ReturnType<typeof buildApp>;

/** TRUST_PROXY as fastify takes it: n proxies in front trust the last n hops (proxy-addr's hop count). */
function trustedProxies(setting: number | string[] | false): boolean | string[] | ((address: string, hop: number) => boolean) {
  return typeof setting === 'number' ? (_address, hop) => hop < setting : setting;
}

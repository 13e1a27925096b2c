import { QUEUE_NAMES } from '@outboundiq/core';
import { createMetricsRegistry, registerBacklogGauges, type MetricsRegistry } from '@outboundiq/runtime';
import type { Queue } from 'bullmq';
import type { FastifyPluginAsync } from 'fastify';

/** Node's process metrics and the delivery queues' depth over every shard (read when scraped). */
export function createAdminMetrics(queues: readonly Queue[]): MetricsRegistry {
  const metrics = createMetricsRegistry();
  const deliveries = queues.filter((q) => q.name === QUEUE_NAMES.deliveries);
  if (deliveries.length > 0) registerBacklogGauges(metrics.registry, { queues: deliveries });
  return metrics;
}

/**
 * GET /metrics in the Prometheus text format. Unlike the workers' health port, this is the API's
 * port, which may be exposed beyond the cluster: it needs a bearer token like every route but the
 * health checks (CONTRACT section 3). Prometheus sends one (infra/README.md, "Metrics").
 */
export const metricsRoutes: FastifyPluginAsync<{ metrics: MetricsRegistry }> = async (app, { metrics }) => {
  app.get('/metrics', async (_request, reply) => {
    const { contentType, body } = await metrics.render();
    return reply.header('content-type', contentType).header('cache-control', 'no-store').send(body);
  });
};

import { DELIVERY_JOB_OPTIONS, DELIVERY_STATUSES, JOB_NAMES, issuesOf, type Webhook } from '@outboundiq/core';
import { InvalidCursorError, type DeliveryLog, type WebhookStore } from '@outboundiq/webhook-store';
import type { Queue } from 'bullmq';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { gone, invalidRequest, notFailed, notFound } from '../errors.js';
import { parseCompanySlug, parseWebhookId } from '../params.js';

export interface DeliveryRoutesOptions {
  store: Pick<WebhookStore, 'get'>;
  log: DeliveryLog;
  /** The delivery queue of a company's shard: a resend goes where the batcher's jobs go. */
  queueOf(companySlug: string): Queue;
}

interface WebhookParams {
  companySlug: string;
  webhookId: string;
}
interface DeliveryParams extends WebhookParams {
  deliveryId: string;
}

const BASE = '/v1/companies/:companySlug/webhooks/:webhookId';

export const deliveryListQuerySchema = z.object({
  status: z.enum(DELIVERY_STATUSES, { error: `must be one of ${DELIVERY_STATUSES.join(', ')}` }).optional(),
  limit: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(1, 'must be 1-100').max(100, 'must be 1-100').default(50),
  cursor: z.string().min(1, 'must not be empty').max(200, 'is not a cursor given by this list').optional(),
});

export const resendFailedBodySchema = z.strictObject({
  since: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 time with a zone, e.g. 2026-04-10T18:00:00Z' }),
});

/**
 * The customer's delivery log (CONTRACT 3.1): read, resend, counts. A delivery is found only under
 * its own company and webhook (its keys carry both), so another's id is a 404 like an unknown one.
 */
export const deliveryRoutes: FastifyPluginAsync<DeliveryRoutesOptions> = async (app, { store, log, queueOf }) => {
  app.addHook('onSend', async (_request, reply) => {
    reply.header('cache-control', 'no-store');
  });

  app.get<{ Params: WebhookParams; Querystring: Record<string, unknown> }>(`${BASE}/deliveries`, async (request) => {
    const { company, id } = await webhookOf(store, request.params);
    const query = parse(deliveryListQuerySchema, request.query ?? {}, '');
    try {
      return await log.list(company, id, { limit: query.limit, ...(query.status ? { status: query.status } : {}), ...(query.cursor ? { cursor: query.cursor } : {}) });
    } catch (err) {
      if (err instanceof InvalidCursorError) throw invalidRequest([{ field: 'cursor', message: err.message }]);
      throw err;
    }
  });

  app.get<{ Params: DeliveryParams }>(`${BASE}/deliveries/:deliveryId`, async (request) => {
    const { company, id } = await webhookOf(store, request.params);
    const delivery = await log.get(company, id, request.params.deliveryId);
    if (delivery === null) throw notFound('delivery');
    return delivery;
  });

  app.post<{ Params: DeliveryParams }>(`${BASE}/deliveries/:deliveryId/resend`, async (request, reply) => {
    const { company, id } = await webhookOf(store, request.params);
    const claim = await log.claimResend(company, id, request.params.deliveryId);
    if (claim.kind !== 'ok') throw claim.kind === 'not_found' ? notFound('delivery') : claim.kind === 'not_failed' ? notFailed() : gone();
    await queueOf(company).add(JOB_NAMES.deliver, claim.job, resendJobOptions(claim.job.deliveryId, claim.finishedAt));
    await log.markResent(company, id, [claim.job.deliveryId]);
    return reply.code(202).send({ deliveryId: claim.job.deliveryId });
  });

  app.post<{ Params: WebhookParams }>(`${BASE}/resend-failed`, async (request, reply) => {
    const { company, id } = await webhookOf(store, request.params);
    const { since } = parse(resendFailedBodySchema, request.body, 'body');
    // Up to 500 claims: sent together rather than one round trip after another.
    const ids = await log.failedSince(company, id, Date.parse(since));
    const claims = await Promise.all(ids.map((deliveryId) => log.claimResend(company, id, deliveryId)));
    const jobs = claims.flatMap((claim) => (claim.kind === 'ok' ? [{ name: JOB_NAMES.deliver, data: claim.job, opts: resendJobOptions(claim.job.deliveryId, claim.finishedAt) }] : []));
    if (jobs.length > 0) await queueOf(company).addBulk(jobs);
    await log.markResent(company, id, jobs.map((job) => job.data.deliveryId));
    return reply.code(202).send({ queued: jobs.length });
  });

  app.get<{ Params: WebhookParams }>(`${BASE}/stats`, async (request) => {
    const { company, id } = await webhookOf(store, request.params);
    return log.stats(company, id);
  });
};

/**
 * A resend is a new job under the same deliveryId. Its job id names the outcome it resends, so a
 * second click before it ran adds nothing, and a resend after another failure is a new job. No ':'.
 */
function resendJobOptions(deliveryId: string, finishedAt: number) {
  return { ...DELIVERY_JOB_OPTIONS, jobId: `resend-${deliveryId}-${finishedAt}` };
}

async function webhookOf(store: Pick<WebhookStore, 'get'>, params: WebhookParams): Promise<{ company: string; id: string; webhook: Webhook }> {
  const company = parseCompanySlug(params.companySlug);
  const id = parseWebhookId(params.webhookId);
  const webhook = await store.get(company, id);
  if (webhook === null) throw notFound('webhook');
  return { company, id, webhook };
}

function parse<S extends z.ZodType>(schema: S, input: unknown, whole: string): z.output<S> {
  if (whole === 'body' && (typeof input !== 'object' || input === null || Array.isArray(input))) {
    throw invalidRequest([{ field: 'body', message: 'must be a JSON object' }]);
  }
  const result = schema.safeParse(input);
  if (!result.success) throw invalidRequest(issuesOf(result.error).map((i) => (i.field === '' ? { ...i, field: whole || 'query' } : i)));
  return result.data;
}

import { issuesOf, webhookCreateSchema, webhookUpdateSchema, type HostCheck, type Webhook } from '@outboundiq/core';
import type { DialProducer } from '@outboundiq/webhook-producer';
import type { WebhookStore } from '@outboundiq/webhook-store';
import type { FastifyPluginAsync } from 'fastify';
import type { z } from 'zod';
import { invalidRequest, notFound } from '../errors.js';
import { parseCompanySlug, parseWebhookId } from '../params.js';
import { sampleDial } from '../sample-dial.js';

export interface WebhookRoutesOptions {
  store: WebhookStore;
  checkHost?: HostCheck | undefined;
  /** Publishes the sample dial of POST .../test, like the dial-cleaning service would. */
  producer: Pick<DialProducer, 'publish'>;
}

/** The answer of POST .../test: what the producer said, or why nothing was published. */
export type TestDialResult = { enqueued: true } | { enqueued: false; reason: 'no-enabled-webhook' | 'webhook-disabled' };

interface CompanyParams {
  companySlug: string;
}
interface WebhookParams extends CompanyParams {
  webhookId: string;
}

const BASE = '/v1/companies/:companySlug/webhooks';

export const webhookRoutes: FastifyPluginAsync<WebhookRoutesOptions> = async (app, { store, checkHost, producer }) => {
  const createSchema = webhookCreateSchema({ checkHost });
  const updateSchema = webhookUpdateSchema({ checkHost });

  // Answers may hold a signing secret or customer headers: no cache may keep them.
  app.addHook('onSend', async (_request, reply) => {
    reply.header('cache-control', 'no-store');
  });

  app.post<{ Params: CompanyParams }>(BASE, async (request, reply) => {
    const company = companyOf(request.params);
    const input = parseBody(createSchema, request.body);
    const { webhook, signingSecret } = await store.create(company, input);
    return reply.code(201).send({ ...webhook, signingSecret });
  });

  app.get<{ Params: CompanyParams }>(BASE, async (request) => {
    const webhooks = await store.list(companyOf(request.params));
    return { webhooks };
  });

  app.get<{ Params: WebhookParams }>(`${BASE}/:webhookId`, async (request) => {
    const { company, id } = webhookOf(request.params);
    return found(await store.get(company, id));
  });

  app.patch<{ Params: WebhookParams }>(`${BASE}/:webhookId`, async (request) => {
    const { company, id } = webhookOf(request.params);
    const change = parseBody(updateSchema, request.body);
    return found(await store.update(company, id, change));
  });

  app.post<{ Params: WebhookParams }>(`${BASE}/:webhookId/rotate-secret`, async (request) => {
    const { company, id } = webhookOf(request.params);
    const signingSecret = await store.rotateSecret(company, id);
    if (signingSecret === null) throw notFound('webhook');
    return { signingSecret };
  });

  app.delete<{ Params: WebhookParams }>(`${BASE}/:webhookId`, async (request, reply) => {
    const { company, id } = webhookOf(request.params);
    if (!(await store.delete(company, id))) throw notFound('webhook');
    return reply.code(204).send();
  });

  // One sample dial for the company, through the pipeline a real one takes. The batcher sends a
  // company's dials to all its enabled webhooks, so the others get it too (the page says so). A
  // disabled webhook would get nothing: say that rather than publish for the others only.
  app.post<{ Params: WebhookParams }>(`${BASE}/:webhookId/test`, async (request, reply) => {
    const { company, id } = webhookOf(request.params);
    const webhook = found(await store.get(company, id));
    const result: TestDialResult = webhook.enabled ? await producer.publish(sampleDial(company)) : { enqueued: false, reason: 'webhook-disabled' };
    return reply.code(202).send(result);
  });
};

function companyOf(params: CompanyParams): string {
  return parseCompanySlug(params.companySlug);
}

function webhookOf(params: WebhookParams): { company: string; id: string } {
  return { company: companyOf(params), id: parseWebhookId(params.webhookId) };
}

function found(webhook: Webhook | null): Webhook {
  if (webhook === null) throw notFound('webhook');
  return webhook;
}

/** Issues about the body as a whole (not an object, nothing to change) are reported on `body`. */
function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw invalidRequest([{ field: 'body', message: 'must be a JSON object' }]);
  }
  const result = schema.safeParse(body);
  if (!result.success) {
    throw invalidRequest(issuesOf(result.error).map((i) => (i.field === '' ? { ...i, field: 'body' } : i)));
  }
  return result.data;
}

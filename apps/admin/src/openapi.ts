import {
  companySlugSchema,
  deliverySchema,
  deliveryStatsSchema,
  webhookCreateSchema,
  webhookHeadersSchema,
  webhookIdSchema,
  webhookNameSchema,
  webhookUpdateSchema,
  webhookUrlSchema,
  type Webhook,
} from '@outboundiq/core';
import { z } from 'zod';
import { API_ERROR_CODES } from './errors.js';
import { portalSessionAnswerSchema, portalSessionBodySchema } from './routes/portal-sessions.js';
import { deliveryListQuerySchema, resendFailedBodySchema } from './routes/deliveries.js';
import type { TestDialResult } from './routes/webhooks.js';

/** The webhook as answered (core's `Webhook`), spelt in zod only so it can be described. */
const webhookSchema = z.object({
  id: webhookIdSchema,
  companySlug: companySlugSchema,
  name: webhookNameSchema,
  url: webhookUrlSchema(),
  headers: webhookHeadersSchema,
  enabled: z.boolean(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
}) satisfies z.ZodType<Webhook>;

const signingSecretSchema = z.object({
  signingSecret: z.string().describe('Shown only here and in the create answer; store it now.'),
});

const testDialResultSchema = z
  .union([
    z.object({ enqueued: z.literal(true) }),
    z.object({
      enqueued: z.literal(false),
      reason: z
        .enum(['no-enabled-webhook', 'webhook-disabled'])
        .describe('webhook-disabled: this webhook is off, nothing was published; no-enabled-webhook: the company has none on'),
    }),
  ])
  .describe('Whether the sample dial went into the pipeline') satisfies z.ZodType<TestDialResult>;

const errorSchema = z.object({
  error: z.object({
    code: z.enum(API_ERROR_CODES),
    message: z.string(),
    details: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  }),
});

/** JSON Schema 2020-12, which OpenAPI 3.1 uses as is. Requests are described as sent, answers as received. */
function describe(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: object) => ({ content: { 'application/json': { schema } } });
const error = (description: string) => ({ description, ...json(ref('Error')) });

const errors = {
  400: error('invalid_request: the message names the field'),
  401: error('unauthorized: no token, or not a valid one (a portal session expired or revoked too)'),
  403: error('forbidden: a portal session outside its own company\'s webhooks'),
  404: error('not_found (also for another company\'s webhook)'),
  429: {
    ...error('too_many_requests: too many invalid tokens from this address; a valid token is never refused'),
    headers: { 'Retry-After': { description: 'Seconds to wait', schema: { type: 'integer' } } },
  },
};
const publicRoute = { security: [] };

function param(name: string, schema: z.ZodType) {
  return { name, in: 'path', required: true, schema: describe(schema, 'input') };
}

/** Builds the OpenAPI 3.1 document of the admin API from the same schemas that validate requests. */
export function buildOpenApiDocument(): Record<string, unknown> {
  const company = param('companySlug', companySlugSchema);
  const webhook = param('webhookId', webhookIdSchema);
  const webhookAnswer = (description: string) => ({ description, ...json(ref('Webhook')) });
  return {
    openapi: '3.1.0',
    info: { title: 'outboundIQ webhooks admin API', version: '1.0.0' },
    security: [{ bearerAuth: [] }],
    paths: {
      '/v1/companies/{companySlug}/webhooks': {
        parameters: [company],
        post: {
          summary: 'Create a webhook (at most 3 per company)',
          requestBody: { required: true, ...json(ref('WebhookCreate')) },
          responses: {
            201: { description: 'The webhook and its signing secret', ...json(ref('WebhookWithSecret')) },
            ...errors,
            409: error('webhook_limit_reached'),
          },
        },
        get: {
          summary: 'List the company\'s webhooks, oldest first',
          responses: { 200: { description: 'The webhooks, never a secret', ...json(ref('WebhookList')) }, ...errors },
        },
      },
      '/v1/companies/{companySlug}/webhooks/{webhookId}': {
        parameters: [company, webhook],
        get: { summary: 'Read one webhook', responses: { 200: webhookAnswer('The webhook, never its secret'), ...errors } },
        patch: {
          summary: 'Change any of name, url, headers, enabled',
          requestBody: { required: true, ...json(ref('WebhookUpdate')) },
          responses: { 200: webhookAnswer('The changed webhook'), ...errors },
        },
        delete: { summary: 'Delete a webhook and its secret', responses: { 204: { description: 'Deleted' }, ...errors } },
      },
      '/v1/companies/{companySlug}/webhooks/{webhookId}/rotate-secret': {
        parameters: [company, webhook],
        post: {
          summary: 'Replace the signing secret; the old one stops at once',
          responses: { 200: { description: 'The new secret', ...json(ref('SigningSecret')) }, ...errors },
        },
      },
      '/v1/companies/{companySlug}/webhooks/{webhookId}/test': {
        parameters: [company, webhook],
        post: {
          summary: 'Send a test dial: publish one sample dial for the company, delivered to each of its enabled webhooks',
          responses: { 202: { description: 'Published, or why not', ...json(ref('TestDialResult')) }, ...errors },
        },
      },
      '/v1/companies/{companySlug}/portal-sessions': {
        parameters: [company],
        post: {
          summary: 'Open the Settings page for one company: a portal session (admin tokens only)',
          description:
            'The token signs in to /v1/companies/{companySlug}/webhooks and everything under it, for this company only, until expiresAt. Send the customer\'s browser to url (or frame it, see PORTAL_FRAME_ANCESTORS).',
          requestBody: { required: false, ...json(ref('PortalSessionCreate')) },
          responses: { 201: { description: 'The session', ...json(ref('PortalSession')) }, ...errors },
        },
        delete: {
          summary: 'Revoke every portal session of the company at once (admin tokens only)',
          responses: { 204: { description: 'Revoked' }, ...errors },
        },
      },
      ...deliveryPaths(company, webhook),
      '/healthz': { get: { ...publicRoute, summary: 'Alive', responses: { 200: { description: 'Alive' } } } },
      '/readyz': {
        get: {
          ...publicRoute,
          summary: 'Ready: Redis answers and the process is not shutting down',
          responses: { 200: { description: 'Ready' }, 503: { description: 'Not ready' } },
        },
      },
      '/v1/openapi.json': { get: { ...publicRoute, summary: 'This document', responses: { 200: { description: 'OpenAPI 3.1' } } } },
    },
    components: {
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', description: 'One of ADMIN_API_TOKENS, or a portal session\'s token (its company\'s webhooks only)' },
      },
      schemas: {
        WebhookCreate: describe(webhookCreateSchema(), 'input'),
        WebhookUpdate: describe(webhookUpdateSchema(), 'input'),
        Webhook: describe(webhookSchema, 'output'),
        WebhookWithSecret: describe(webhookSchema.extend(signingSecretSchema.shape), 'output'),
        WebhookList: describe(z.object({ webhooks: z.array(webhookSchema) }), 'output'),
        SigningSecret: describe(signingSecretSchema, 'output'),
        TestDialResult: describe(testDialResultSchema, 'output'),
        PortalSessionCreate: describe(portalSessionBodySchema, 'input'),
        PortalSession: describe(portalSessionAnswerSchema, 'output'),
        Delivery: describe(deliverySchema, 'output'),
        DeliveryPage: describe(z.object({ deliveries: z.array(deliverySchema), nextCursor: z.string().nullable().describe('null on the last page') }), 'output'),
        DeliveryStats: describe(deliveryStatsSchema, 'output'),
        ResendFailed: describe(resendFailedBodySchema, 'input'),
        Error: describe(errorSchema, 'output'),
      },
    },
  };
}

/** The delivery log's routes (CONTRACT 3.1). */
function deliveryPaths(company: object, webhook: object): Record<string, unknown> {
  const delivery = param('deliveryId', z.string().describe('A deliveryId from the log'));
  const query = describe(deliveryListQuerySchema, 'input') as { properties: Record<string, object> };
  const queryParams = Object.entries(query.properties).map(([name, schema]) => ({ name, in: 'query', required: false, schema }));
  const accepted = (description: string, schema: z.ZodType) => ({ description, ...json(describe(schema, 'output')) });
  return {
    '/v1/companies/{companySlug}/webhooks/{webhookId}/deliveries': {
      parameters: [company, webhook],
      get: {
        summary: 'The webhook\'s delivery log, newest first: the latest 200 of any status and the latest 500 failed, each kept at most 7 days',
        parameters: queryParams,
        responses: { 200: { description: 'One page; pass nextCursor as cursor for the next', ...json(ref('DeliveryPage')) }, ...errors },
      },
    },
    '/v1/companies/{companySlug}/webhooks/{webhookId}/deliveries/{deliveryId}': {
      parameters: [company, webhook, delivery],
      get: { summary: 'One delivery with its attempts', responses: { 200: { description: 'The delivery', ...json(ref('Delivery')) }, ...errors } },
    },
    '/v1/companies/{companySlug}/webhooks/{webhookId}/deliveries/{deliveryId}/resend': {
      parameters: [company, webhook, delivery],
      post: {
        summary: 'Send a failed delivery again: the same deliveryId and dials, signed with the current secret, one retry; its attempts are appended to the same record',
        responses: {
          202: accepted('Queued', z.object({ deliveryId: z.string() })),
          ...errors,
          409: error('not_failed: only a failed delivery can be resent'),
          410: error('gone: its batch is no longer kept'),
        },
      },
    },
    '/v1/companies/{companySlug}/webhooks/{webhookId}/resend-failed': {
      parameters: [company, webhook],
      post: {
        summary: 'Resend every failed delivery since a time whose batch is still kept',
        requestBody: { required: true, ...json(ref('ResendFailed')) },
        responses: { 202: accepted('How many were queued', z.object({ queued: z.number().int() })), ...errors },
      },
    },
    '/v1/companies/{companySlug}/webhooks/{webhookId}/stats': {
      parameters: [company, webhook],
      get: {
        summary: 'Counts of the last 24 hours, hour by hour (kept by counters as outcomes happen)',
        responses: { 200: { description: 'The counts', ...json(ref('DeliveryStats')) }, ...errors },
      },
    },
  };
}

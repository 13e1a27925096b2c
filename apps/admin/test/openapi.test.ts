import { describe, expect, it } from '@jest/globals';
import { buildOpenApiDocument } from '../src/openapi.js';

type Doc = {
  openapi: string;
  paths: Record<string, Record<string, { security?: unknown[]; responses?: Record<string, unknown> }>>;
  components: { schemas: Record<string, any> };
};

describe('OpenAPI document', () => {
  const doc = buildOpenApiDocument() as Doc;

  it('is OpenAPI 3.1 and lists every route of the contract with its statuses', () => {
    expect(doc.openapi).toBe('3.1.0');
    const ops = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.entries(item)
        .filter(([method]) => method !== 'parameters')
        .map(([method, op]) => `${method.toUpperCase()} ${path} ${Object.keys(op.responses ?? {}).sort().join(',')}`),
    );
    expect(ops.sort()).toEqual(
      [
        'POST /v1/companies/{companySlug}/webhooks 201,400,401,403,404,409,429',
        'GET /v1/companies/{companySlug}/webhooks 200,400,401,403,404,429',
        'GET /v1/companies/{companySlug}/webhooks/{webhookId} 200,400,401,403,404,429',
        'PATCH /v1/companies/{companySlug}/webhooks/{webhookId} 200,400,401,403,404,429',
        'DELETE /v1/companies/{companySlug}/webhooks/{webhookId} 204,400,401,403,404,429',
        'POST /v1/companies/{companySlug}/webhooks/{webhookId}/rotate-secret 200,400,401,403,404,429',
        'POST /v1/companies/{companySlug}/webhooks/{webhookId}/test 202,400,401,403,404,429',
        'GET /v1/companies/{companySlug}/webhooks/{webhookId}/deliveries 200,400,401,403,404,429',
        'GET /v1/companies/{companySlug}/webhooks/{webhookId}/deliveries/{deliveryId} 200,400,401,403,404,429',
        'POST /v1/companies/{companySlug}/webhooks/{webhookId}/deliveries/{deliveryId}/resend 202,400,401,403,404,409,410,429',
        'POST /v1/companies/{companySlug}/webhooks/{webhookId}/resend-failed 202,400,401,403,404,429',
        'GET /v1/companies/{companySlug}/webhooks/{webhookId}/stats 200,400,401,403,404,429',
        'POST /v1/companies/{companySlug}/portal-sessions 201,400,401,403,404,429',
        'DELETE /v1/companies/{companySlug}/portal-sessions 204,400,401,403,404,429',
        'GET /healthz 200',
        'GET /readyz 200,503',
        'GET /v1/openapi.json 200',
      ].sort(),
    );
  });

  it('describes the bodies from the validating schemas: limits and unknown fields included', () => {
    const create = doc.components.schemas.WebhookCreate;
    expect(create.required.sort()).toEqual(['name', 'url']);
    expect(create.additionalProperties).toBe(false);
    expect(create.properties.name).toMatchObject({ type: 'string', minLength: 1, maxLength: 100 });
    expect(create.properties.url).toMatchObject({ type: 'string', maxLength: 2048 });
    expect(create.properties.enabled).toMatchObject({ type: 'boolean', default: true });
    const update = doc.components.schemas.WebhookUpdate;
    expect(update.required ?? []).toEqual([]);
    expect(update.additionalProperties).toBe(false);
  });

  it('shows the secret only in the create and rotate answers', () => {
    const { Webhook, WebhookWithSecret, SigningSecret } = doc.components.schemas;
    expect(Object.keys(Webhook.properties).sort()).toEqual(['companySlug', 'createdAt', 'enabled', 'headers', 'id', 'name', 'updatedAt', 'url']);
    expect(WebhookWithSecret.properties).toHaveProperty('signingSecret');
    expect(SigningSecret.required).toEqual(['signingSecret']);
  });

  it('describes the test dial answer: enqueued, or why not', () => {
    const { TestDialResult } = doc.components.schemas;
    const variants = TestDialResult.anyOf.map((v: any) => v.properties);
    expect(variants[0]).toEqual({ enqueued: { type: 'boolean', const: true } });
    expect(variants[1].reason.enum.sort()).toEqual(['no-enabled-webhook', 'webhook-disabled']);
  });

  it('describes portal sessions: ttlSeconds 60 to 86,400, the answer with its url', () => {
    const { PortalSessionCreate, PortalSession } = doc.components.schemas;
    expect(PortalSessionCreate.properties.ttlSeconds).toMatchObject({ type: 'integer', minimum: 60, maximum: 86_400, default: 3_600 });
    expect(PortalSessionCreate.additionalProperties).toBe(false);
    expect(PortalSession.required.sort()).toEqual(['expiresAt', 'token', 'url']);
  });

  it('marks only health checks and itself as open', () => {
    const open = Object.entries(doc.paths).filter(([, item]) => item.get?.security?.length === 0).map(([p]) => p);
    expect(open.sort()).toEqual(['/healthz', '/readyz', '/v1/openapi.json']);
  });
});

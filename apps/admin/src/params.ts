import { companySlugSchema, issuesOf, webhookIdSchema } from '@outboundiq/core';
import { invalidRequest, notFound } from './errors.js';

/**
 * The path parameters of the API, checked against core's rules by the routes and by the answer to
 * what the router refused (framework-errors.ts), so both answer a parameter the same way.
 */

/** A company slug as the producer takes it (core's schema), or 400 naming `companySlug`. */
export function parseCompanySlug(slug: string): string {
  const result = companySlugSchema.safeParse(slug);
  if (!result.success) throw invalidRequest(issuesOf(result.error, ['companySlug']));
  return result.data;
}

/** A malformed id is a 404 like any unknown one: an id is opaque to callers. */
export function parseWebhookId(id: string): string {
  if (!webhookIdSchema.safeParse(id).success) throw notFound('webhook');
  return id;
}

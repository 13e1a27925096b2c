import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { issuesOf } from '@outboundiq/core';
import { invalidRequest } from '../errors.js';
import { parseCompanySlug } from '../params.js';
import { PORTAL_TTL, type PortalSessions } from '../portal-sessions.js';
import { SETTINGS_PAGE_PATH } from './settings-page.js';

export interface PortalSessionRoutesOptions {
  sessions: PortalSessions;
  /** PUBLIC_URL, without a trailing slash: where customers reach the page. */
  publicUrl: string;
}

export const portalSessionBodySchema = z.strictObject({
  ttlSeconds: z
    .number({ error: 'must be a number' })
    .int('must be a whole number')
    .min(PORTAL_TTL.min, `must be at least ${PORTAL_TTL.min}`)
    .max(PORTAL_TTL.max, `must be at most ${PORTAL_TTL.max}`)
    .optional()
    .default(PORTAL_TTL.default),
});

export const portalSessionAnswerSchema = z.object({
  token: z.string().describe('Sign-in for this company\'s webhooks only; never stored in clear'),
  url: z.string().describe('<PUBLIC_URL>/settings/webhooks#session=<token>: send the customer\'s browser here, or frame it'),
  expiresAt: z.iso.datetime(),
});

const PATH = '/v1/companies/:companySlug/portal-sessions';

/**
 * POST and DELETE of a company's portal sessions (CONTRACT section 3.2). Admin tokens only: the
 * auth hook answers a portal token here 403, as these paths are outside every company's webhooks.
 */
export const portalSessionRoutes: FastifyPluginAsync<PortalSessionRoutesOptions> = async (app, { sessions, publicUrl }) => {
  app.addHook('onSend', async (_request, reply) => {
    reply.header('cache-control', 'no-store');
  });

  app.post<{ Params: { companySlug: string } }>(PATH, async (request, reply) => {
    const company = parseCompanySlug(request.params.companySlug);
    const body = request.body ?? {};
    if (typeof body !== 'object' || Array.isArray(body)) throw invalidRequest([{ field: 'body', message: 'must be a JSON object' }]);
    const parsed = portalSessionBodySchema.safeParse(body);
    if (!parsed.success) throw invalidRequest(issuesOf(parsed.error).map((i) => (i.field === '' ? { ...i, field: 'body' } : i)));
    const { token, expiresAt } = await sessions.create(company, parsed.data.ttlSeconds);
    const url = `${publicUrl}${SETTINGS_PAGE_PATH}#session=${token}`;
    return reply.code(201).send({ token, url, expiresAt: expiresAt.toISOString() });
  });

  app.delete<{ Params: { companySlug: string } }>(PATH, async (request, reply) => {
    await sessions.revokeAll(parseCompanySlug(request.params.companySlug));
    return reply.code(204).send();
  });
};

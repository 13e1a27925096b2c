import type { Socket } from 'node:net';
import { COMPANY_SLUG_MAX_LENGTH } from '@outboundiq/core';
import { HeaderValueError, WebhookLimitError } from '@outboundiq/webhook-store';
import type { FastifyError, FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify';
import type { AuthCheck } from './auth.js';
import { ApiError, invalidRequest, notFound } from './errors.js';
import { parseCompanySlug } from './params.js';

/**
 * What fastify refuses before our code runs, and how each refusal is answered: in the contract's
 * error body like everything else (CONTRACT section 3). Fastify answers in three places, each with a
 * body of its own shape unless told otherwise:
 * - the error handler: body parsing and other errors of a matched route (`toApiError`);
 * - `frameworkErrors`: the router itself, before any route, hook or error handler, when a path
 *   parameter is longer than `maxParamLength` (414) or not valid percent-encoding (400);
 * - `clientErrorHandler`: Node's HTTP parser, before fastify, for requests that are not HTTP or
 *   whose request line and headers pass Node's limit (431).
 */

/** A webhook body is a few KB at most (2,048-character URL, 10 headers of 1 KB). */
export const BODY_LIMIT_BYTES = 64 * 1024;

/**
 * The router's limit on one path parameter. Fastify's default, 100, is shorter than a company slug
 * may be (COMPANY_SLUG_MAX_LENGTH), and the router refuses before any route can say which parameter
 * is wrong. So the limit is far above every parameter we or Bull Board take, each route checks its
 * own with core's rules, and the limit only bounds the router's work on hostile paths; what it does
 * refuse is answered as the route would have answered (`routerRefusal`).
 */
export const MAX_PARAM_LENGTH = 8 * COMPANY_SLUG_MAX_LENGTH;

/**
 * The contract's answer to what the caller sent or asked (a handler's ApiError, the webhook limit,
 * fastify's refusal of a bad body, content type or size); undefined for anything else (a bug, Redis
 * down), which is the app's own failure.
 */
export function requestError(err: FastifyError | Error): ApiError | undefined {
  if (err instanceof ApiError) return err;
  if (err instanceof WebhookLimitError) return new ApiError(409, 'webhook_limit_reached', err.message);
  if (err instanceof HeaderValueError) return invalidRequest([{ field: `headers.${err.header}`, message: err.message }]);
  const { code, statusCode } = err as Partial<FastifyError>;
  switch (code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return invalidRequest([{ field: 'body', message: 'content type must be application/json' }]);
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return invalidRequest([{ field: 'body', message: `must be at most ${BODY_LIMIT_BYTES} bytes` }]);
  }
  // Other framework 4xx (bad content length, bad URL...): the request itself is broken. Their
  // message is not echoed, as it can quote what the caller sent.
  if (statusCode !== undefined && statusCode >= 400 && statusCode < 500) {
    return new ApiError(400, 'invalid_request', 'the request is malformed');
  }
  return undefined;
}

/** Maps whatever a handler or fastify threw onto the contract's status codes and error body. */
export function toApiError(err: FastifyError | Error): ApiError {
  return requestError(err) ?? new ApiError(500, 'internal_error', 'internal error');
}

/** `/v1/companies/<slug>`, and whether `/webhooks/...` follows: where a router refusal is ours to name. */
const COMPANY_PATH = /^\/v1\/companies\/([^/]*)(\/webhooks\/)?/;

/**
 * The answer a route would have given to the parameter the router refused: a bad company slug is
 * 400 naming `companySlug`, anything else (a long webhook id, an unknown route) names nothing we
 * have, so 404. The slug is read as the router reads it, percent-decoded.
 */
export function routerRefusal(err: FastifyError, url: string): ApiError {
  if (err.code === 'FST_ERR_ASYNC_CONSTRAINT') return toApiError(err);
  const match = COMPANY_PATH.exec(url.split('?', 1)[0]!);
  if (match === null) return notFound('route');
  try {
    parseCompanySlug(decodeSegment(match[1]!));
  } catch (refusal) {
    return refusal as ApiError;
  }
  return notFound(match[2] === undefined ? 'route' : 'webhook');
}

/** A segment that is not valid percent-encoding stays as sent: its `%` breaks the slug rule anyway. */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** fastify's `frameworkErrors`: the token first (no hook ran), then the route's own answer. */
export function createRouterRefusalHandler(checkAuth: AuthCheck): NonNullable<FastifyServerOptions['frameworkErrors']> {
  return (err, request: FastifyRequest, reply: FastifyReply) => {
    const answer = async () => {
      if ((await checkAuth(request, reply)) !== undefined) return;
      const apiError = routerRefusal(err, request.url);
      if (apiError.statusCode >= 500) request.log.error({ err }, 'request failed');
      void reply.code(apiError.statusCode).send(apiError.toBody());
    };
    answer().catch((failure: unknown) => {
      request.log.error({ err: failure }, 'request failed');
      void reply.code(500).send(toApiError(failure as Error).toBody());
    });
  };
}

const CLIENT_ERROR_MESSAGES: Record<string, string> = {
  HPE_HEADER_OVERFLOW: 'the request line and headers are too large',
  ERR_HTTP_REQUEST_TIMEOUT: 'the request did not arrive in time',
};

/**
 * fastify's `clientErrorHandler`, for what Node's HTTP parser refuses (fastify's default answers
 * `{ error: "Bad Request", statusCode }`). As with the app's other framework refusals, the status is
 * 400 and nothing the caller sent is echoed. The socket is closed, like Node and fastify do: the
 * parser cannot find where the next request would start.
 */
export function answerClientError(this: { log: { trace(obj: object, msg: string): void } }, err: Error & { code?: string }, socket: Socket): void {
  // A reset connection has nobody to answer.
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  this.log.trace({ err }, 'client error');
  if (socket.writable) {
    const message = CLIENT_ERROR_MESSAGES[err.code ?? ''] ?? 'the request is not valid HTTP';
    const body = JSON.stringify(new ApiError(400, 'invalid_request', message).toBody());
    socket.write(
      `HTTP/1.1 400 Bad Request\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(err);
}

import type { ValidationIssue } from '@outboundiq/core';

export const API_ERROR_CODES = ['invalid_request', 'unauthorized', 'forbidden', 'not_found', 'webhook_limit_reached', 'not_failed', 'gone', 'too_many_requests', 'internal_error'] as const;
export type ApiErrorCode = (typeof API_ERROR_CODES)[number];

/** The one error body of the API: `{ error: { code, message, details? } }`. */
export interface ApiErrorBody {
  error: { code: ApiErrorCode; message: string; details?: ValidationIssue[] };
}

/** An answer a handler gives instead of a success; the app's error handler turns it into the error body. */
export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: ApiErrorCode,
    message: string,
    readonly details?: ValidationIssue[],
  ) {
    super(message);
    this.name = 'ApiError';
    Object.setPrototypeOf(this, new.target.prototype);
  }

  toBody(): ApiErrorBody {
    return { error: { code: this.code, message: this.message, ...(this.details ? { details: this.details } : {}) } };
  }
}

/** A 400 whose message names every bad field, e.g. `url: must use https://`. */
export function invalidRequest(issues: ValidationIssue[]): ApiError {
  const message = issues.map((i) => `${i.field}: ${i.message}`).join('; ');
  return new ApiError(400, 'invalid_request', message, issues);
}

export const notFound = (what = 'resource'): ApiError => new ApiError(404, 'not_found', `${what} not found`);

export const unauthorized = (): ApiError =>
  new ApiError(401, 'unauthorized', 'a valid bearer token is required (Authorization: Bearer <token>)');

export const notFailed = (): ApiError => new ApiError(409, 'not_failed', 'only a failed delivery can be resent');

export const gone = (): ApiError => new ApiError(410, 'gone', 'the batch of this delivery is no longer kept, so it cannot be resent');

/** A portal session outside its company's webhooks (CONTRACT section 3.2). */
export const forbidden = (): ApiError =>
  new ApiError(403, 'forbidden', "a portal session may only manage its own company's webhooks");

/** Too many failed sign-ins from this address: the caller waits `retryAfterSeconds`. */
export const tooManyFailures = (retryAfterSeconds: number): ApiError =>
  new ApiError(429, 'too_many_requests', `too many requests with an invalid token from this address: try again in ${retryAfterSeconds} s`);

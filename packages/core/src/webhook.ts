import { z } from 'zod';
import { isMaskedHeaderValue } from './header-mask.js';
import { MAX_CUSTOM_HEADERS, MAX_HEADER_VALUE_LENGTH, MAX_URL_LENGTH } from './limits.js';

export { MAX_CUSTOM_HEADERS, MAX_HEADER_VALUE_LENGTH, MAX_URL_LENGTH, MAX_WEBHOOKS_PER_COMPANY } from './limits.js';

/** Headers we always send ourselves; a custom header may not replace them (any letter case). */
const RESERVED_HEADERS = new Set(['content-type', 'content-length', 'user-agent', 'host', 'transfer-encoding', 'connection']);

export function isReservedHeaderName(name: string): boolean {
  const lower = name.toLowerCase();
  return RESERVED_HEADERS.has(lower) || lower.startsWith('x-outboundiq-');
}

// RFC 9110 token characters.
const HTTP_TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Judges the host of an https URL; returns why it is refused, or null. Set by the destination policy. */
export type HostCheck = (url: URL) => string | null;

export interface WebhookSchemaOptions {
  /** Extra check of the URL's host (private destinations); none when they are allowed. */
  checkHost?: HostCheck;
}

export function webhookUrlSchema(options: WebhookSchemaOptions = {}) {
  return z
    .string({ error: 'must be a string' })
    .max(MAX_URL_LENGTH, `must be at most ${MAX_URL_LENGTH} characters`)
    .superRefine((value, ctx) => {
      const reason = urlProblem(value, options.checkHost);
      if (reason !== null) ctx.addIssue({ code: 'custom', message: reason });
    });
}

function urlProblem(value: string, checkHost: HostCheck | undefined): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an absolute https:// URL';
  }
  if (url.protocol !== 'https:') return 'must use https://';
  if (!/^https:\/\//i.test(value)) return 'must be an absolute https:// URL';
  if (url.username !== '' || url.password !== '') return 'must not contain user info (user:password@)';
  if (url.hostname === '') return 'must have a host';
  return checkHost?.(url) ?? null;
}

export const webhookNameSchema = z
  .string({ error: 'must be a string' })
  .min(1, 'must not be empty')
  .max(100, 'must be at most 100 characters');

export const webhookHeadersSchema = z
  .record(z.string(), z.string({ error: 'must be a string' }), { error: 'must be an object of header names to string values' })
  .superRefine((headers, ctx) => {
    const names = Object.keys(headers);
    if (names.length > MAX_CUSTOM_HEADERS) {
      ctx.addIssue({ code: 'custom', message: `must have at most ${MAX_CUSTOM_HEADERS} headers` });
    }
    const seen = new Set<string>();
    for (const name of names) {
      const value = headers[name]!;
      const problem = headerProblem(name, value, seen);
      if (problem !== null) ctx.addIssue({ code: 'custom', path: [name], message: problem });
    }
  });

function headerProblem(name: string, value: string, seen: Set<string>): string | null {
  if (!HTTP_TOKEN.test(name)) return 'header name must be a non-empty HTTP token (letters, digits and !#$%&\'*+-.^_`|~)';
  if (name.length > 256) return 'header name must be at most 256 characters';
  if (isReservedHeaderName(name)) return 'header name is reserved: outboundIQ sets it itself';
  const lower = name.toLowerCase();
  if (seen.has(lower)) return 'header name is given twice (names are case-insensitive)';
  seen.add(lower);
  // A masked form (what answers show) stands for the stored value of this name: the store resolves
  // it, or refuses it naming the header when there is none (CONTRACT section 3).
  if (isMaskedHeaderValue(value)) return null;
  if (/[\r\n\0]/.test(value)) return 'header value must not contain CR, LF or NUL';
  // What Node's http client refuses to send (ERR_INVALID_CHAR): such a webhook could never be delivered.
  if (/[^\t\x20-\x7e\x80-\xff]/.test(value)) return 'header value must not contain control characters or characters above U+00FF';
  if (value.length > MAX_HEADER_VALUE_LENGTH) return `header value must be at most ${MAX_HEADER_VALUE_LENGTH} characters`;
  return null;
}

/** Request bodies of the admin API (CONTRACT section 3); unknown fields are refused. */
export function webhookCreateSchema(options: WebhookSchemaOptions = {}) {
  return z.strictObject({
    name: webhookNameSchema,
    url: webhookUrlSchema(options),
    headers: webhookHeadersSchema.optional().default({}),
    enabled: z.boolean({ error: 'must be a boolean' }).optional().default(true),
  });
}

export function webhookUpdateSchema(options: WebhookSchemaOptions = {}) {
  return z
    .strictObject({
      name: webhookNameSchema.optional(),
      url: webhookUrlSchema(options).optional(),
      headers: webhookHeadersSchema.optional(),
      enabled: z.boolean({ error: 'must be a boolean' }).optional(),
    })
    .refine((v) => Object.keys(v).length > 0, 'must change at least one of name, url, headers, enabled');
}

export type WebhookCreate = z.output<ReturnType<typeof webhookCreateSchema>>;
export type WebhookUpdate = z.output<ReturnType<typeof webhookUpdateSchema>>;

/** A webhook as the admin API shows it: never its secret. */
export interface Webhook {
  id: string;
  companySlug: string;
  name: string;
  url: string;
  headers: Record<string, string>;
  enabled: boolean;
  createdAt: string;
  updatedAt: string;
}

export const webhookIdSchema = z.string().regex(/^wh_[0-9a-f]{24}$/, 'is not a webhook id');

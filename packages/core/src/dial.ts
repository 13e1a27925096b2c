import { z } from 'zod';

/** Strings a publisher gives us are capped; the doc's receivers store them in fixed columns. */
export const MAX_STRING_LENGTH = 1024;

/**
 * The company slug rule (CONTRACT section 2), in one place: the producer, the batcher, the admin's
 * routes and its router limit all derive from these, so a slug one accepts the others accept too.
 */
export const COMPANY_SLUG_MAX_LENGTH = 128;
export const COMPANY_SLUG_PATTERN = /^[A-Za-z0-9._-]+$/;

export const companySlugSchema = z
  .string({ error: 'must be a string' })
  .min(1, 'must not be empty')
  .max(COMPANY_SLUG_MAX_LENGTH, `must be at most ${COMPANY_SLUG_MAX_LENGTH} characters`)
  .regex(COMPANY_SLUG_PATTERN, 'may contain only letters, digits, ".", "_" and "-"');

const text = z.string({ error: 'must be a string' }).max(MAX_STRING_LENGTH, `must be at most ${MAX_STRING_LENGTH} characters`);
const nullableText = text.nullable().optional().transform((v) => v ?? null);

// ISO 8601 with a date, a time and a zone; anything without a zone is ambiguous and refused.
export const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}(?::?\d{2})?)$/i;

const timestamp = z
  .union([z.date(), z.string()], { error: 'must be a Date or an ISO 8601 string with a time zone' })
  .transform((value, ctx) => {
    const ok = value instanceof Date || ISO_WITH_ZONE.test(value);
    const date = value instanceof Date ? value : new Date(value);
    if (!ok || Number.isNaN(date.getTime())) {
      ctx.addIssue({ code: 'custom', message: 'must be a valid Date or an ISO 8601 string with a time zone' });
      return z.NEVER;
    }
    // Outside years 0000-9999 toISOString() writes a 6-digit year, which the batcher's schema refuses.
    const iso = date.toISOString();
    if (!/^\d{4}-/.test(iso)) {
      ctx.addIssue({ code: 'custom', message: 'must be in the years 0000 to 9999 (UTC)' });
      return z.NEVER;
    }
    return iso;
  });

/** US numbers: non-digits stripped, the `1` of an 11-digit number dropped, 10 digits left. */
export function normaliseUsPhone(raw: string): string | null {
  let digits = raw.replace(/\D/g, '');
  if (digits.length === 11 && digits.startsWith('1')) digits = digits.slice(1);
  return digits.length === 10 ? digits : null;
}

const usPhone = z
  .string({ error: 'must be a string or null' })
  .max(MAX_STRING_LENGTH, `must be at most ${MAX_STRING_LENGTH} characters`)
  .nullable()
  .optional()
  .transform((value, ctx) => {
    if (value == null) return null;
    const phone = normaliseUsPhone(value);
    if (phone === null) {
      ctx.addIssue({ code: 'custom', message: 'must be a 10-digit US number (or 11 digits starting with 1)' });
      return z.NEVER;
    }
    return phone;
  });

const bool = z.boolean({ error: 'must be a boolean' });

/**
 * What a publisher may give: the doc's DialEvent, leniently spelt (Date timestamps, formatted
 * phones, missing nullable fields). Unknown keys are dropped. The output is a `DialEvent` with the
 * doc's keys in the doc's order, which is also the order they are serialised in.
 */
export const dialInputSchema = z.object({
  companySlug: companySlugSchema,
  callId: nullableText,
  callDirection: text.min(1, 'must not be empty'),
  timestamp,
  ani: usPhone,
  phone: usPhone,
  campaign: nullableText,
  campaignInternalId: nullableText,
  agent: nullableText,
  disposition: nullableText,
  dispositionId: nullableText,
  contact: bool,
  success: bool,
  isSystemDispo: bool,
  totalDialAttempts: z
    .number({ error: 'must be a number or null' })
    .int('must be an integer')
    .min(0, 'must be >= 0')
    .max(Number.MAX_SAFE_INTEGER, 'is too large')
    .nullable()
    .optional()
    .transform((v) => v ?? null),
});

export type DialInput = z.input<typeof dialInputSchema>;

/** A dial exactly as a receiver sees it (the doc's `DialEvent`). */
export interface DialEvent {
  companySlug: string;
  callId: string | null;
  callDirection: string;
  timestamp: string;
  ani: string | null;
  phone: string | null;
  campaign: string | null;
  campaignInternalId: string | null;
  agent: string | null;
  disposition: string | null;
  dispositionId: string | null;
  contact: boolean;
  success: boolean;
  isSystemDispo: boolean;
  totalDialAttempts: number | null;
}

const storedText = z.string().max(MAX_STRING_LENGTH).nullable();
const storedPhone = z.string().regex(/^\d{10}$/).nullable();

/**
 * A dial as it must already be once normalised: what the batcher accepts from a stream. Strict, so
 * an entry written by anything but the producer (a poison entry) is caught before a receiver sees it.
 */
export const dialEventSchema = z.strictObject({
  companySlug: companySlugSchema,
  callId: storedText,
  callDirection: z.string().min(1).max(MAX_STRING_LENGTH),
  timestamp: z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
  ani: storedPhone,
  phone: storedPhone,
  campaign: storedText,
  campaignInternalId: storedText,
  agent: storedText,
  disposition: storedText,
  dispositionId: storedText,
  contact: z.boolean(),
  success: z.boolean(),
  isSystemDispo: z.boolean(),
  totalDialAttempts: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).nullable(),
}) satisfies z.ZodType<DialEvent>;

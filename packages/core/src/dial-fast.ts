import { COMPANY_SLUG_MAX_LENGTH, COMPANY_SLUG_PATTERN, ISO_WITH_ZONE, MAX_STRING_LENGTH, normaliseUsPhone, type DialEvent } from './dial.js';

/**
 * Hand-written fast paths for the two dial schemas, for the hot loops (the producer validates every
 * dial it publishes, the batcher every dial it reads). Each answers only when it is sure, with
 * exactly what zod would give; anything unusual gets `undefined`/`false`, and the caller asks the zod
 * schema, which owns the rules and the error messages. dial-fast.test.ts checks the agreement.
 */

const STORED_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const STORED_PHONE = /^\d{10}$/;
const FOUR_DIGIT_YEAR = /^\d{4}-/;

/** The doc's keys in the doc's order: the order zod outputs, so the order JSON.stringify writes. */
const DIAL_KEYS = [
  'companySlug', 'callId', 'callDirection', 'timestamp', 'ani', 'phone', 'campaign', 'campaignInternalId',
  'agent', 'disposition', 'dispositionId', 'contact', 'success', 'isSystemDispo', 'totalDialAttempts',
] as const;

const isPlainObject = (value: unknown): value is Record<string, unknown> => {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
};

const isSlug = (v: unknown): v is string =>
  typeof v === 'string' && v.length >= 1 && v.length <= COMPANY_SLUG_MAX_LENGTH && COMPANY_SLUG_PATTERN.test(v);
const isText = (v: unknown): v is string => typeof v === 'string' && v.length <= MAX_STRING_LENGTH;
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= Number.MAX_SAFE_INTEGER;

/** Missing or null -> null, a string within bounds -> itself, anything else -> undefined (ask zod). */
function nullableText(v: unknown): string | null | undefined {
  if (v === undefined || v === null) return null;
  return isText(v) ? v : undefined;
}

function phone(v: unknown): string | null | undefined {
  if (v === undefined || v === null) return null;
  return isText(v) ? (normaliseUsPhone(v) ?? undefined) : undefined;
}

function timestamp(v: unknown): string | undefined {
  let date: Date;
  if (v instanceof Date) date = v;
  else if (typeof v === 'string' && ISO_WITH_ZONE.test(v)) date = new Date(v);
  else return undefined;
  if (Number.isNaN(date.getTime())) return undefined;
  const iso = date.toISOString();
  return FOUR_DIGIT_YEAR.test(iso) ? iso : undefined;
}

/** `dialInputSchema.parse(input)` for a plain, valid dial; `undefined` when zod must decide. */
export function normaliseDialFast(input: unknown): DialEvent | undefined {
  if (!isPlainObject(input)) return undefined;
  const { companySlug, callDirection, contact, success, isSystemDispo } = input;
  if (!isSlug(companySlug) || !isText(callDirection) || callDirection.length === 0) return undefined;
  if (typeof contact !== 'boolean' || typeof success !== 'boolean' || typeof isSystemDispo !== 'boolean') return undefined;
  const ts = timestamp(input.timestamp);
  const callId = nullableText(input.callId);
  const ani = phone(input.ani);
  const phoneNumber = phone(input.phone);
  const campaign = nullableText(input.campaign);
  const campaignInternalId = nullableText(input.campaignInternalId);
  const agent = nullableText(input.agent);
  const disposition = nullableText(input.disposition);
  const dispositionId = nullableText(input.dispositionId);
  const attempts = input.totalDialAttempts;
  const totalDialAttempts = attempts === undefined || attempts === null ? null : isCount(attempts) ? attempts : undefined;
  if (
    ts === undefined || callId === undefined || ani === undefined || phoneNumber === undefined || campaign === undefined ||
    campaignInternalId === undefined || agent === undefined || disposition === undefined || dispositionId === undefined ||
    totalDialAttempts === undefined
  ) {
    return undefined;
  }
  return {
    companySlug, callId, callDirection, timestamp: ts, ani, phone: phoneNumber, campaign, campaignInternalId,
    agent, disposition, dispositionId, contact, success, isSystemDispo, totalDialAttempts,
  };
}

const isStoredText = (v: unknown) => v === null || isText(v);
const isStoredPhone = (v: unknown) => v === null || (typeof v === 'string' && STORED_PHONE.test(v));

/**
 * True when `dialEventSchema` accepts `value` and its output serialises exactly as `value` does
 * (a plain object with the doc's keys, in the doc's order, nothing else): what the producer writes.
 */
export function isCanonicalStoredDial(value: unknown): value is DialEvent {
  if (!isPlainObject(value)) return false;
  const keys = Object.keys(value);
  if (keys.length !== DIAL_KEYS.length) return false;
  for (let i = 0; i < DIAL_KEYS.length; i++) if (keys[i] !== DIAL_KEYS[i]) return false;
  const d = value as unknown as DialEvent;
  return (
    isSlug(d.companySlug) && isStoredText(d.callId) && typeof d.callDirection === 'string' && d.callDirection.length >= 1 &&
    d.callDirection.length <= MAX_STRING_LENGTH && typeof d.timestamp === 'string' && STORED_TIMESTAMP.test(d.timestamp) &&
    isStoredPhone(d.ani) && isStoredPhone(d.phone) && isStoredText(d.campaign) && isStoredText(d.campaignInternalId) &&
    isStoredText(d.agent) && isStoredText(d.disposition) && isStoredText(d.dispositionId) && typeof d.contact === 'boolean' &&
    typeof d.success === 'boolean' && typeof d.isSystemDispo === 'boolean' && (d.totalDialAttempts === null || isCount(d.totalDialAttempts))
  );
}

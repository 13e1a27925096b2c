import { createHash } from 'node:crypto';
import { z } from 'zod';
import { companySlugSchema, type DialEvent } from './dial.js';

/** Every name a queue or an event goes by; nobody else spells them. */
export const QUEUE_NAMES = { deliveries: 'deliveries' } as const;
export const EVENT_TYPES = { dialBatch: 'dial.batch' } as const;
export const JOB_NAMES = { deliver: 'deliver' } as const;

/** The doc's limits and timings, used as configuration defaults everywhere. */
export const DELIVERY_DEFAULTS = {
  maxDialsPerBatch: 100,
  attemptTimeoutMs: 10_000,
  retryDelayMs: 500,
} as const;

/**
 * The options of every delivery job, the batcher's and a resend's. Failures at the receiver end a
 * job at once (the sender throws UnrecoverableError after its own single retry); these attempts only
 * cover our own trouble, such as Redis going away mid-job. Finished jobs stay visible a while (and
 * dedupe a batch made again after a crash).
 */
export const DELIVERY_JOB_OPTIONS = {
  attempts: 5,
  backoff: { type: 'exponential', delay: 1_000 },
  removeOnComplete: { age: 3_600, count: 2_000 },
  removeOnFail: { age: 7 * 24 * 3_600, count: 50_000 },
};

export const HEADER_NAMES = {
  event: 'X-OutboundIQ-Event',
  deliveryId: 'X-OutboundIQ-Delivery-Id',
  signature: 'X-OutboundIQ-Signature',
} as const;

export const USER_AGENT = 'outboundIQ-webhooks/1.0';

/** The body a receiver gets (the doc's `DialBatchWebhookPayload`). */
export interface DialBatchPayload {
  event: typeof EVENT_TYPES.dialBatch;
  deliveryId: string;
  deliveredAt: string;
  dials: DialEvent[];
}

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/**
 * A delivery job: one batch for one webhook. `dials` is the JSON text of the dials array, kept as
 * text so the sender splices it into the body without parsing it again. No secret, no URL: the
 * sender loads the webhook when it sends, so a disabled webhook or a rotated secret takes effect at once.
 */
export const deliveryJobSchema = z.strictObject({
  v: z.literal(1),
  companySlug: companySlugSchema,
  webhookId: z.string().min(1),
  deliveryId: z.string().regex(UUID_V4),
  dials: z.string().startsWith('[').endsWith(']'),
  dialCount: z.number().int().min(1).max(DELIVERY_DEFAULTS.maxDialsPerBatch),
  /** Publish time (ms) of the oldest dial, for latency metrics. */
  firstPublishedAt: z.number().int(),
});
export type DeliveryJob = z.infer<typeof deliveryJobSchema>;

/**
 * A UUID (v4 layout) derived from what identifies a batch for a webhook, so that a batch made again
 * after a crash gets the same deliveryId (and the same BullMQ job id) instead of a second delivery.
 */
export function deriveDeliveryId(parts: readonly string[]): string {
  const hex = createHash('sha256').update(parts.join('\u0000')).digest('hex');
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** The raw body, built by splicing the stored dials text: byte for byte what gets signed. */
export function buildPayloadBody(deliveryId: string, deliveredAt: Date, dialsJson: string): string {
  return `{"event":"${EVENT_TYPES.dialBatch}","deliveryId":"${deliveryId}","deliveredAt":"${deliveredAt.toISOString()}","dials":${dialsJson}}`;
}

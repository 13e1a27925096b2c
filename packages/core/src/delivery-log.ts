import { z } from 'zod';

/**
 * The customer's delivery log (CONTRACT 3.1): what a delivery reads, what stats read, and how long
 * either is kept. The sender writes it, the admin reads it; both spell it from here.
 */
export const DELIVERY_STATUSES = ['delivered', 'failed', 'refused', 'skipped'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** The contract's retention, the defaults of the sender's DELIVERY_LOG_* settings. */
export const DELIVERY_LOG_DEFAULTS = {
  /** Latest deliveries of any status kept per webhook. */
  keep: 200,
  /** Latest failed deliveries (and their batches) kept per webhook. */
  keepFailed: 500,
  /** How long a record lives after its latest outcome. */
  retentionMs: 7 * 24 * 3_600_000,
  /** How long a failed delivery's batch is kept for a resend, from its first failure. */
  batchRetentionMs: 7 * 24 * 3_600_000,
  /** Attempts kept per record: resends append, so a record cannot grow without bound. */
  maxAttempts: 20,
} as const;

export const deliveryAttemptSchema = z.object({
  at: z.iso.datetime().describe('When the attempt started'),
  statusCode: z.number().int().optional().describe('The HTTP status answered, if any'),
  durationMs: z.number().int().min(0),
  error: z.string().optional().describe('A short readable reason ("HTTP 503", "no complete response within 10 s"); no answer body is kept'),
});
export type DeliveryAttempt = z.infer<typeof deliveryAttemptSchema>;

export const deliverySchema = z.object({
  deliveryId: z.string(),
  webhookId: z.string(),
  status: z.enum(DELIVERY_STATUSES),
  dialCount: z.number().int(),
  firstPublishedAt: z.iso.datetime().describe('When the oldest dial of the batch was published'),
  createdAt: z.iso.datetime().describe('When the delivery was first recorded'),
  finishedAt: z.iso.datetime().describe('When its latest outcome was recorded'),
  attempts: z.array(deliveryAttemptSchema),
  resendable: z.boolean().describe('failed, and its batch is still kept'),
  resentAt: z.iso.datetime().optional().describe('When a resend was last asked for'),
});
export type Delivery = z.infer<typeof deliverySchema>;

export const deliveryStatsSchema = z.object({
  last24h: z.object({
    delivered: z.number().int(),
    failed: z.number().int(),
    refused: z.number().int(),
    skipped: z.number().int(),
    dials: z.number().int().describe('Dials in the deliveries that arrived'),
  }),
  hourly: z
    .array(z.object({ hour: z.iso.datetime(), delivered: z.number().int(), failed: z.number().int() }))
    .describe('24 entries, oldest first; `hour` is the start of the hour (UTC), the last one the current hour'),
});
export type DeliveryStats = z.infer<typeof deliveryStatsSchema>;

import type { DialInput } from '@outboundiq/core/publisher';

export type PublishResult = { enqueued: true } | { enqueued: false; reason: 'no-enabled-webhook' };

export interface PublishManyResult {
  /** Dials appended to their company's stream. */
  enqueued: number;
  /** Dials of companies with no enabled webhook. */
  skipped: number;
}

export interface DialProducer {
  publish(dial: DialInput): Promise<PublishResult>;
  publishMany(dials: readonly DialInput[]): Promise<PublishManyResult>;
  /** Closes the Redis client the producer made; one passed in as `redis` is left open. */
  close(): Promise<void>;
}

import type { DialInput } from '@outboundiq/core/publisher';
import type { PublishOptions } from './idempotency.js';

export type { PublishOptions };

export type PublishResult = { enqueued: true } | { enqueued: false; reason: 'no-enabled-webhook' };

export interface PublishManyResult {
  /** Dials appended to their company's stream. */
  enqueued: number;
  /** Dials of companies with no enabled webhook. */
  skipped: number;
}

export interface DialProducer {
  /** One round trip. With `idempotencyKey`, a repeat within 24 hours appends nothing and resolves as the first call did. */
  publish(dial: DialInput, options?: PublishOptions): Promise<PublishResult>;
  /** One script call per shard. With `idempotencyKey`, a repeat adds only what the first call did not. */
  publishMany(dials: readonly DialInput[], options?: PublishOptions): Promise<PublishManyResult>;
  /** Closes the Redis client the producer made; one passed in as `redis` is left open. */
  close(): Promise<void>;
}

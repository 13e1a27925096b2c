import { OiqError, ValidationError, type ValidationIssue } from '@outboundiq/core/publisher';

/** A dial that breaks a rule of the contract; the message names each bad field. */
export class DialValidationError extends ValidationError {
  constructor(issues: readonly ValidationIssue[]) {
    super(issues, 'invalid dial');
  }
}

/**
 * `waitForReplicas` was not met: the dials are on the primary, but fewer replicas than asked hold
 * them, so a failover now could lose them. Retrying is right, but only with an idempotencyKey:
 * a plain retry appends the dials a second time.
 */
export class ReplicationError extends OiqError {
  constructor(
    readonly acknowledged: number,
    readonly required: number,
    readonly waitedMs: number,
    cause?: Error,
  ) {
    super(
      `the dials reached the Redis primary, but only ${acknowledged} of ${required} replicas acknowledged them within ${waitedMs} ms; ` +
        'retry only with an idempotencyKey, or the dials are appended twice',
      { retryable: true, cause },
    );
  }
}

/**
 * publishMany is all-or-nothing per shard, not across shards: some shards' dials may be in while
 * another's failed. `enqueued` and `skipped` count what went in (also a shard whose dials reached
 * its primary but too few replicas, or whose script Redis stopped part-way); `errors` holds one error
 * per failed shard. A retry with the same idempotencyKey adds only what is missing.
 */
export class PublishManyError extends OiqError {
  constructor(
    readonly enqueued: number,
    readonly skipped: number,
    readonly failedShards: number,
    readonly shards: number,
    readonly errors: readonly Error[],
  ) {
    super(
      `publishMany: ${failedShards} of ${shards} shards failed; ${enqueued} dials went in and ${skipped} were skipped (no enabled webhook): ` +
        (errors[0]?.message ?? 'unknown error'),
      { retryable: true, cause: errors[0] },
    );
  }
}

/**
 * The idempotencyKey was used within the last 24 hours for other dials (of this shard): nothing of
 * this call's part was appended. A key names one call's dials; new dials need a new key. Refused
 * rather than answered with the first call's result, which would silently drop these dials.
 */
export class IdempotencyConflictError extends OiqError {
  constructor(readonly idempotencyKey: string) {
    super(
      `idempotencyKey ${JSON.stringify(idempotencyKey)} was used within the last 24 hours with other dials: nothing was appended for them; ` +
        'a repeat must carry the same dials, new dials need a new key',
      { retryable: false },
    );
  }
}

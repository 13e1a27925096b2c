import {
  DELIVERY_DEFAULTS,
  dialInputSchema,
  issuesOf,
  normaliseDialFast,
  type DialEvent,
  type DialInput,
  type Keys,
  type ValidationIssue,
} from '@outboundiq/core/publisher';
import { appendShard, type Replicas, type ShardOutcome } from './append.js';
import { DialValidationError, PublishManyError } from './errors.js';
import { fingerprintOf, idempotencyKeyOf, type PublishOptions } from './idempotency.js';
import { createKeysSource } from './layout.js';
import { resolveOptions, type DialProducerOptions } from './options.js';
import { ReplicatedWrites } from './replicated.js';
import { publishShardArgs, withPublishScript, type ScriptClient, type ShardCall } from './scripts.js';
import type { DialProducer, PublishManyResult, PublishResult } from './types.js';

export function createDialProducer(options: DialProducerOptions): DialProducer {
  const resolved = resolveOptions(options);
  const client = withPublishScript(resolved.client);
  // WAIT must answer before the client's command timeout does, or the caller would see a bare
  // timeout instead of being told the dials are on the primary.
  const margin = Math.min(500, Math.floor(resolved.timeoutMs / 4));
  const replicas: Replicas = {
    count: resolved.waitForReplicas,
    waitMs: Math.max(1, resolved.timeoutMs - margin),
    timeoutMs: resolved.timeoutMs,
    ...(resolved.waitForReplicas > 0 ? { writes: new ReplicatedWrites(client, resolved.waitForReplicas) } : {}),
  };
  return new RedisDialProducer(client, createKeysSource(client, resolved.keyPrefix), replicas, resolved.ownsClient, resolved.onPublish);
}

const SKIPPED: PublishResult = { enqueued: false, reason: 'no-enabled-webhook' };

class RedisDialProducer implements DialProducer {
  constructor(
    private readonly client: ScriptClient,
    private readonly keys: () => Promise<Keys | null>,
    private readonly replicas: Replicas,
    private readonly ownsClient: boolean,
    private readonly onPublish?: (counts: PublishManyResult) => void,
  ) {}

  async publish(input: DialInput, options?: PublishOptions): Promise<PublishResult> {
    const idempotencyKey = idempotencyKeyOf('publish', options);
    const dial = normalise(input);
    const keys = await this.keys();
    if (keys === null) {
      this.observe({ enqueued: 0, skipped: 1 });
      return SKIPPED;
    }
    const company = dial.companySlug;
    const appends = [{ company, stream: keys.dials(company), dialsJson: JSON.stringify([dial]), dials: 1 }];
    const outcome = await this.appendShard(keys, { shard: keys.shardOfCompany(company), appends }, idempotencyKey, Date.now());
    // Replicas lagging: the dial is on the primary all the same.
    if (outcome.error === undefined || outcome.added.enqueued > 0) this.observe(outcome.added);
    if (outcome.error) throw outcome.error;
    return outcome.enqueued > 0 ? { enqueued: true } : SKIPPED;
  }

  async publishMany(inputs: readonly DialInput[], options?: PublishOptions): Promise<PublishManyResult> {
    const idempotencyKey = idempotencyKeyOf('publishMany', options);
    const byCompany = validateAll(inputs);
    if (inputs.length === 0) return { enqueued: 0, skipped: 0 };
    const keys = await this.keys();
    if (keys === null) return this.observe({ enqueued: 0, skipped: inputs.length });

    // One script call per shard, whatever the number of companies: the shard's keys share one slot.
    // One stream entry carries up to a batch of one company's dials: far fewer commands and bytes
    // on the wire than an entry per dial, and the batcher never has to split an entry.
    const byShard = new Map<number, ShardCall>();
    for (const [company, dials] of byCompany) {
      const shard = keys.shardOf(company);
      let call = byShard.get(shard);
      if (call === undefined) byShard.set(shard, (call = { shard: keys.shard(shard), appends: [] }));
      const stream = keys.dials(company);
      const size = DELIVERY_DEFAULTS.maxDialsPerBatch;
      for (let i = 0; i < dials.length; i += size) {
        const chunk = dials.length <= size ? dials : dials.slice(i, i + size);
        call.appends.push({ company, stream, dialsJson: JSON.stringify(chunk), dials: chunk.length });
      }
    }
    // Shards may sit on different masters, so in parallel.
    const at = Date.now();
    const outcomes = await Promise.all([...byShard.values()].map((call) => this.appendShard(keys, call, idempotencyKey, at)));
    const counts = { enqueued: 0, skipped: 0 };
    const added = { enqueued: 0, skipped: 0 };
    const errors: Error[] = [];
    for (const outcome of outcomes) {
      counts.enqueued += outcome.enqueued;
      counts.skipped += outcome.skipped;
      added.enqueued += outcome.added.enqueued;
      added.skipped += outcome.added.skipped;
      if (outcome.error) errors.push(outcome.error);
    }
    this.observe(added);
    if (errors.length > 0) throw new PublishManyError(counts.enqueued, counts.skipped, errors.length, outcomes.length, errors);
    return counts;
  }

  async close(): Promise<void> {
    if (!this.ownsClient) return;
    // QUIT lets replies in flight arrive; with no live connection there is nothing to wait for.
    if (this.client.status !== 'ready') return this.client.disconnect();
    await this.client.quit().catch(() => this.client.disconnect());
  }

  private appendShard(keys: Keys, call: ShardCall, idempotencyKey: string | undefined, at: number): Promise<ShardOutcome> {
    if (idempotencyKey !== undefined) call.idempotency = { key: call.shard.idempotency(idempotencyKey), fingerprint: fingerprintOf(call.appends) };
    return appendShard(this.client, publishShardArgs(keys, call, at), call.appends, this.replicas, idempotencyKey);
  }

  private observe(counts: PublishManyResult): PublishManyResult {
    try {
      this.onPublish?.(counts);
    } catch {
      // A broken metrics hook must not turn a publish that succeeded into a failure.
    }
    return counts;
  }
}

/** Validates every dial first: one bad dial rejects the call before anything is sent. */
function validateAll(inputs: readonly DialInput[]): Map<string, DialEvent[]> {
  if (!Array.isArray(inputs)) throw new DialValidationError([{ field: 'dials', message: 'must be an array' }]);
  const issues: ValidationIssue[] = [];
  const byCompany = new Map<string, DialEvent[]>();
  inputs.forEach((input, index) => {
    const dial = normaliseDialFast(input) ?? parse(input, ['dials', index], issues);
    if (dial === undefined) return;
    const list = byCompany.get(dial.companySlug);
    if (list) list.push(dial);
    else byCompany.set(dial.companySlug, [dial]);
  });
  if (issues.length > 0) throw new DialValidationError(issues);
  return byCompany;
}

function normalise(input: DialInput): DialEvent {
  const issues: ValidationIssue[] = [];
  const dial = normaliseDialFast(input) ?? parse(input, [], issues);
  if (dial === undefined) throw new DialValidationError(issues);
  return dial;
}

/** The hand-written check answers for ordinary dials; zod decides (and words the error) otherwise. */
function parse(input: unknown, path: PropertyKey[], issues: ValidationIssue[]): DialEvent | undefined {
  const result = dialInputSchema.safeParse(input);
  if (result.success) return result.data;
  issues.push(...issuesOf(result.error, path));
  return undefined;
}

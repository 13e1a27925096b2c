import {
  DEFAULT_PUBLISH_TIMEOUT_MS,
  DELIVERY_DEFAULTS,
  ValidationError,
  createKeys,
  createRedisClient,
  dialInputSchema,
  issuesOf,
  normaliseDialFast,
  type DialEvent,
  type DialInput,
  type Keys,
  type Redis,
  type ValidationIssue,
} from '@outboundiq/core';
import type { Cluster } from 'ioredis';
import { PUBLISH_SCRIPT } from './scripts.js';

/** A dial that breaks a rule of the contract; the message names each bad field. */
export class DialValidationError extends ValidationError {
  constructor(issues: readonly ValidationIssue[]) {
    super(issues, 'invalid dial');
  }
}

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
  close(): Promise<void>;
}

export type DialProducerOptions = (
  | { redisUrl: string; redis?: undefined }
  | { redis: Redis | Cluster; redisUrl?: undefined }
) & {
  /** Namespaces every key, like KEY_PREFIX for the workers. Default `oiq`. */
  keyPrefix?: string;
  /** With `redisUrl`: how long a call may wait for Redis before it rejects. Default 2 s. */
  timeoutMs?: number;
  /**
   * Told after each call that reached Redis how many dials went in and how many were skipped (no
   * enabled webhook): wire it to your own metrics. It must not throw; if it does, the error is
   * ignored, since the dials are already in.
   */
  onPublish?: (counts: PublishManyResult) => void;
};

type ScriptClient = (Redis | Cluster) & {
  oiqPublish(enabled: string, ready: string, stream: string, leases: string, company: string, dials: string, at: string): Promise<number>;
};

export function createDialProducer(options: DialProducerOptions): DialProducer {
  const keys = createKeys(options.keyPrefix);
  const owned = options.redis === undefined;
  const client = (options.redis ??
    createRedisClient({
      url: options.redisUrl,
      role: 'publisher',
      name: 'oiq-producer',
      commandTimeoutMs: options.timeoutMs ?? DEFAULT_PUBLISH_TIMEOUT_MS,
    })) as ScriptClient;
  // defineCommand sends EVALSHA and falls back to EVAL once per connection: one round trip per call.
  if (typeof client.oiqPublish !== 'function') {
    client.defineCommand('oiqPublish', { numberOfKeys: 4, lua: PUBLISH_SCRIPT });
  }
  return new RedisDialProducer(client, keys, owned, options.onPublish);
}

class RedisDialProducer implements DialProducer {
  constructor(
    private readonly client: ScriptClient,
    private readonly keys: Keys,
    private readonly ownsClient: boolean,
    private readonly onPublish?: (counts: PublishManyResult) => void,
  ) {}

  async publish(input: DialInput): Promise<PublishResult> {
    const dial = normalise(input, []);
    const appended = await this.append(this.client, dial.companySlug, JSON.stringify([dial]));
    this.observe(appended === 1 ? { enqueued: 1, skipped: 0 } : { enqueued: 0, skipped: 1 });
    return appended === 1 ? { enqueued: true } : { enqueued: false, reason: 'no-enabled-webhook' };
  }

  async publishMany(inputs: readonly DialInput[]): Promise<PublishManyResult> {
    if (!Array.isArray(inputs)) throw new DialValidationError([{ field: 'dials', message: 'must be an array' }]);
    // Validate everything first: one bad dial rejects the call before anything is sent.
    const issues: ValidationIssue[] = [];
    const byCompany = new Map<string, DialEvent[]>();
    inputs.forEach((input, index) => {
      let dial = normaliseDialFast(input);
      if (dial === undefined) {
        const result = dialInputSchema.safeParse(input);
        if (!result.success) {
          issues.push(...issuesOf(result.error, ['dials', index]));
          return;
        }
        dial = result.data;
      }
      const list = byCompany.get(dial.companySlug);
      if (list) list.push(dial);
      else byCompany.set(dial.companySlug, [dial]);
    });
    if (issues.length > 0) throw new DialValidationError(issues);
    if (inputs.length === 0) return { enqueued: 0, skipped: 0 };

    // One stream entry carries up to a batch of one company's dials: far fewer commands and bytes
    // on the wire than an entry per dial, and the batcher never has to split an entry. MULTI makes
    // the appends all-or-nothing on the Redis side too.
    const pipeline = this.client.multi() as unknown as ScriptClient & { exec(): Promise<[Error | null, unknown][] | null> };
    const sizes: number[] = [];
    for (const [company, dials] of byCompany) {
      for (let i = 0; i < dials.length; i += DELIVERY_DEFAULTS.maxDialsPerBatch) {
        const chunk = dials.slice(i, i + DELIVERY_DEFAULTS.maxDialsPerBatch);
        void this.append(pipeline, company, JSON.stringify(chunk));
        sizes.push(chunk.length);
      }
    }
    const replies = await pipeline.exec();
    if (replies === null) throw new Error('publishMany: the Redis transaction was discarded; nothing was enqueued');
    let enqueued = 0;
    let skipped = 0;
    // exec() resolves even when commands failed: every reply is checked. A script that fails inside
    // EXEC (out of memory, say) is not undone by Redis, so the error says how many went in.
    const failures: Error[] = [];
    replies.forEach(([err, value], i) => {
      if (err) failures.push(err);
      else if (value === 1) enqueued += sizes[i]!;
      else skipped += sizes[i]!;
    });
    if (failures.length > 0) {
      throw new Error(`publishMany: ${failures.length} of ${replies.length} appends failed (${enqueued} dials enqueued): ${failures[0]!.message}`, {
        cause: failures[0],
      });
    }
    this.observe({ enqueued, skipped });
    return { enqueued, skipped };
  }

  private observe(counts: PublishManyResult): void {
    try {
      this.onPublish?.(counts);
    } catch {
      // A broken metrics hook must not turn a publish that succeeded into a failure.
    }
  }

  async close(): Promise<void> {
    if (!this.ownsClient) return;
    // QUIT lets replies in flight arrive; with no live connection there is nothing to wait for.
    if (this.client.status !== 'ready') return this.client.disconnect();
    await this.client.quit().catch(() => this.client.disconnect());
  }

  private append(target: ScriptClient, company: string, dialsJson: string): Promise<number> {
    const k = this.keys;
    const shard = k.shardOfCompany(company);
    return target.oiqPublish(shard.enabledCompanies(), shard.ready(), k.dials(company), shard.leases(), company, dialsJson, String(Date.now()));
  }
}

function normalise(input: DialInput, path: PropertyKey[]): DialEvent {
  // The hand-written check answers for ordinary dials; zod decides (and words the error) otherwise.
  const fast = normaliseDialFast(input);
  if (fast !== undefined) return fast;
  const result = dialInputSchema.safeParse(input);
  if (!result.success) throw new DialValidationError(issuesOf(result.error, path));
  return result.data;
}

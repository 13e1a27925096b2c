import { slotOf } from '@outboundiq/core/publisher';
import { IdempotencyConflictError, ReplicationError } from './errors.js';
import type { AppendPipeline, ReplicatedWrites, Reply } from './replicated.js';
import { parseShardReply, type ShardAppend, type ScriptClient } from './scripts.js';

/** WAIT's arguments; `count` 0 sends no WAIT. */
export interface Replicas {
  count: number;
  waitMs: number;
  /** The whole call's timeout (waitMs is a little shorter). */
  timeoutMs: number;
  /** Sends the writes and their WAIT when `count` > 0. */
  writes?: ReplicatedWrites;
}

export interface Counts {
  enqueued: number;
  skipped: number;
}

/**
 * What one shard's script call took in. `enqueued`/`skipped` are the call's result for the shard (with
 * an idempotency key, the first call's included); `added` is what this very call appended or skipped
 * (for onPublish). `error` is set when the shard failed; the counts are what went in regardless.
 */
export interface ShardOutcome extends Counts {
  added: Counts;
  error?: Error;
}

const deadlines = (replicas: Replicas) => ({ until: Date.now() + replicas.waitMs, giveUpAt: Date.now() + replicas.timeoutMs });

/** A shard that failed before anything was known to go in. */
const failed = (error: Error): ShardOutcome => ({ enqueued: 0, skipped: 0, added: { enqueued: 0, skipped: 0 }, error });

/**
 * One shard's part of a call (publish: one append), in one script call, so it is all-or-nothing;
 * with replicas, followed by a WAIT on the same connection. Never rejects: the outcome carries the
 * error, so the other shards' results still count.
 */
export async function appendShard(
  client: ScriptClient,
  args: readonly string[],
  appends: readonly ShardAppend[],
  replicas: Replicas,
  idempotencyKey?: string,
): Promise<ShardOutcome> {
  if (!replicas.writes) {
    let reply: unknown;
    try {
      reply = await client.oiqPublishShard(...args);
    } catch (err) {
      return failed(err as Error);
    }
    return outcomeOf(reply, appends, idempotencyKey);
  }
  let replies: Reply[];
  let wait: Reply;
  try {
    ({ replies, wait } = await replicas.writes.send({
      ...deadlines(replicas),
      // args[1] is the shard's enabled set: every key shares the shard's tag.
      slot: slotOf(args[1]!),
      queue(pipeline: AppendPipeline) {
        pipeline.oiqPublishShard(...args);
        return 1;
      },
    }));
  } catch (err) {
    return failed(err as Error);
  }
  const [error, reply] = replies[0] ?? [new Error('publish: no reply from Redis to the append'), null];
  if (error) return failed(error);
  const outcome = outcomeOf(reply, appends, idempotencyKey);
  if (outcome.error === undefined && outcome.enqueued > 0) {
    try {
      checkReplicas(wait, replicas);
    } catch (err) {
      outcome.error = err as Error;
    }
  }
  return outcome;
}

/** The script's reply as counts: the call's result for the shard, and what this very call added. */
function outcomeOf(raw: unknown, appends: readonly ShardAppend[], idempotencyKey: string | undefined): ShardOutcome {
  let reply;
  try {
    reply = parseShardReply(raw);
  } catch (err) {
    return failed(err as Error);
  }
  if (reply.conflict) return failed(new IdempotencyConflictError(idempotencyKey ?? ''));
  const { flags, doneBefore } = reply;
  const outcome: ShardOutcome = { enqueued: 0, skipped: 0, added: { enqueued: 0, skipped: 0 } };
  for (let i = 0; i < flags.length; i++) {
    const dials = appends[i]?.dials ?? 0;
    const appended = flags.charCodeAt(i) === 49; // '1'
    if (appended) outcome.enqueued += dials;
    else outcome.skipped += dials;
    if (i < doneBefore) continue;
    if (appended) outcome.added.enqueued += dials;
    else outcome.added.skipped += dials;
  }
  // A script stopped part-way (a write Redis refused) keeps what it appended before: the flags say what.
  if (reply.failure !== undefined) outcome.error = new Error(`Redis refused an append: ${reply.failure}`);
  return outcome;
}

function checkReplicas(reply: Reply, replicas: Replicas): void {
  const [err, acknowledged] = reply;
  // A WAIT that failed (timed out on our side, say) acknowledged nothing we know of.
  const count = err ? 0 : Number(acknowledged);
  if (count < replicas.count) throw new ReplicationError(count, replicas.count, replicas.waitMs, err ?? undefined);
}

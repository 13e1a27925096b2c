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

const NOTHING: Counts = { enqueued: 0, skipped: 0 };

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
  let script: Reply;
  let wait: Reply | undefined;
  try {
    if (replicas.writes) {
      let replies: Reply[];
      ({ replies, wait } = await replicas.writes.send({
        ...deadlines(replicas),
        // args[1] is the shard's enabled set: every key shares the shard's tag.
        slot: slotOf(args[1]!),
        queue(pipeline: AppendPipeline) {
          pipeline.oiqPublishShard(...args);
          return 1;
        },
      }));
      script = replies[0] ?? [new Error('publish: no reply from Redis to the append'), null];
    } else {
      script = [null, await client.oiqPublishShard(...args)];
    }
  } catch (err) {
    return { ...NOTHING, added: NOTHING, error: err as Error };
  }
  if (script[0]) return { ...NOTHING, added: NOTHING, error: script[0] };

  let reply;
  try {
    reply = parseShardReply(script[1]);
  } catch (err) {
    return { ...NOTHING, added: NOTHING, error: err as Error };
  }
  if (reply.conflict) return { ...NOTHING, added: NOTHING, error: new IdempotencyConflictError(idempotencyKey ?? '') };
  const outcome: ShardOutcome = { ...count(reply.flags, appends, 0), added: count(reply.flags, appends, reply.doneBefore) };
  // A script stopped part-way (a write Redis refused) keeps what it appended before: the flags say what.
  if (reply.failure !== undefined) outcome.error = new Error(`Redis refused an append: ${reply.failure}`);
  if (outcome.error === undefined && outcome.enqueued > 0 && wait !== undefined) {
    try {
      checkReplicas(wait, replicas);
    } catch (err) {
      outcome.error = err as Error;
    }
  }
  return outcome;
}

/** The dials appended ('1') and skipped ('0') among the flags from `from` on. */
function count(flags: string, appends: readonly ShardAppend[], from: number): Counts {
  const counts = { enqueued: 0, skipped: 0 };
  for (let i = from; i < flags.length; i++) {
    if (flags.charCodeAt(i) === 49) counts.enqueued += appends[i]?.dials ?? 0;
    else counts.skipped += appends[i]?.dials ?? 0;
  }
  return counts;
}

function checkReplicas(reply: Reply, replicas: Replicas): void {
  const [err, acknowledged] = reply;
  // A WAIT that failed (timed out on our side, say) acknowledged nothing we know of.
  const count = err ? 0 : Number(acknowledged);
  if (count < replicas.count) throw new ReplicationError(count, replicas.count, replicas.waitMs, err ?? undefined);
}

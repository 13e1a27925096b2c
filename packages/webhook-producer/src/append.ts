import { slotOf } from '@outboundiq/core/publisher';
import { ReplicationError } from './errors.js';
import type { AppendPipeline, ReplicatedWrites, Reply } from './replicated.js';
import type { PublishArgs, ScriptClient } from './scripts.js';

/** WAIT's arguments; `count` 0 sends no WAIT. */
export interface Replicas {
  count: number;
  waitMs: number;
  /** The whole call's timeout (waitMs is a little shorter). */
  timeoutMs: number;
  /** Sends the writes and their WAIT when `count` > 0. */
  writes?: ReplicatedWrites;
}

/** One script call of publishMany: a chunk of one company's dials. */
export interface Append {
  args: PublishArgs;
  dials: number;
}

/** What one shard's transaction took in; `error` set when the shard failed (the counts are what went in regardless). */
export interface ShardOutcome {
  enqueued: number;
  skipped: number;
  error?: Error;
}

/** The slot of an append's keys (all four share the shard's tag). */
const slotOfArgs = (args: PublishArgs) => slotOf(args[2]);

const deadlines = (replicas: Replicas) => ({ until: Date.now() + replicas.waitMs, giveUpAt: Date.now() + replicas.timeoutMs });

/** publish: one script call, with replicas followed by a WAIT on the same connection. Resolves whether it appended. */
export async function appendOne(client: ScriptClient, args: PublishArgs, replicas: Replicas): Promise<boolean> {
  if (!replicas.writes) return (await client.oiqPublish(...args)) === 1;
  const { replies: [script], wait } = await replicas.writes.send({
    ...deadlines(replicas),
    slot: slotOfArgs(args),
    queue(pipeline) {
      pipeline.oiqPublish(...args);
      return 1;
    },
  });
  if (!script || script[0]) throw script?.[0] ?? new Error('publish: no reply from Redis to the append');
  if (script[1] !== 1) return false;
  checkReplicas(wait, replicas);
  return true;
}

/**
 * publishMany, one shard: its appends in one MULTI (one slot), so the shard's part is all-or-nothing.
 * Never rejects: the outcome carries the error, so the other shards' results still count.
 */
export async function appendShard(client: ScriptClient, appends: readonly Append[], replicas: Replicas): Promise<ShardOutcome> {
  const transaction = (pipeline: AppendPipeline) => {
    pipeline.multi();
    for (const append of appends) pipeline.oiqPublish(...append.args);
    void pipeline.exec();
    return appends.length + 2;
  };
  let replies: Reply[];
  let wait: Reply | undefined;
  try {
    if (replicas.writes) {
      ({ replies, wait } = await replicas.writes.send({ ...deadlines(replicas), slot: slotOfArgs(appends[0]!.args), queue: transaction }));
    } else {
      const pipeline = client.pipeline() as unknown as AppendPipeline;
      transaction(pipeline);
      replies = await pipeline.exec();
    }
  } catch (err) {
    return { enqueued: 0, skipped: 0, error: err as Error };
  }
  // Replies: MULTI, one QUEUED per append, EXEC (the appends' results).
  const exec = replies[appends.length + 1];
  if (!exec || exec[0] || !Array.isArray(exec[1])) {
    // A command refused while queueing makes Redis discard the transaction; its error says why.
    const queued = replies.slice(0, appends.length + 1).find(([err]) => err)?.[0];
    return { enqueued: 0, skipped: 0, error: queued ?? exec?.[0] ?? new Error('publishMany: the Redis transaction was discarded') };
  }
  const outcome: ShardOutcome = { enqueued: 0, skipped: 0 };
  // A script failing inside EXEC (out of memory, say) is not undone by Redis: count what went in.
  (exec[1] as unknown[]).forEach((result, i) => {
    if (result instanceof Error) outcome.error ??= result;
    else if (result === 1) outcome.enqueued += appends[i]!.dials;
    else outcome.skipped += appends[i]!.dials;
  });
  if (outcome.error === undefined && outcome.enqueued > 0 && wait !== undefined) {
    try {
      checkReplicas(wait, replicas);
    } catch (err) {
      outcome.error = err as Error;
    }
  }
  return outcome;
}

function checkReplicas(reply: Reply, replicas: Replicas): void {
  const [err, acknowledged] = reply;
  // A WAIT that failed (timed out on our side, say) acknowledged nothing we know of.
  const count = err ? 0 : Number(acknowledged);
  if (count < replicas.count) throw new ReplicationError(count, replicas.count, replicas.waitMs, err ?? undefined);
}

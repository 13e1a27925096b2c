import { ReplicationError } from './errors.js';
import type { PublishArgs, ScriptClient } from './scripts.js';

/** WAIT's arguments; `count` 0 sends no WAIT. */
export interface Replicas {
  count: number;
  waitMs: number;
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

type Replies = [error: Error | null, result: unknown][];

/**
 * ioredis's inline transaction: MULTI, the appends, EXEC, then WAIT, in one pipeline. WAIT has no
 * key: only inside the pipeline of the keyed commands does a Cluster client send it to their node.
 */
interface ShardPipeline {
  multi(): void;
  oiqPublish(...args: PublishArgs): void;
  wait(count: number, timeoutMs: number): void;
  /** Inside a MULTI it queues EXEC; after it, it sends the pipeline. */
  exec(): Promise<Replies>;
}

/** publish: one script call, or with replicas the script and WAIT in one pipeline. Resolves whether it appended. */
export async function appendOne(client: ScriptClient, args: PublishArgs, replicas: Replicas): Promise<boolean> {
  if (replicas.count === 0) return (await client.oiqPublish(...args)) === 1;
  const pipeline = client.pipeline() as unknown as ShardPipeline;
  pipeline.oiqPublish(...args);
  pipeline.wait(replicas.count, replicas.waitMs);
  const [script, wait] = await pipeline.exec();
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
  let replies: Replies;
  try {
    const pipeline = client.pipeline() as unknown as ShardPipeline;
    pipeline.multi();
    for (const append of appends) pipeline.oiqPublish(...append.args);
    void pipeline.exec();
    if (replicas.count > 0) pipeline.wait(replicas.count, replicas.waitMs);
    replies = await pipeline.exec();
  } catch (err) {
    return { enqueued: 0, skipped: 0, error: err as Error };
  }
  // Replies: MULTI, one QUEUED per append, EXEC (the appends' results), then WAIT.
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
  if (outcome.error === undefined && outcome.enqueued > 0 && replicas.count > 0) {
    try {
      checkReplicas(replies[appends.length + 2], replicas);
    } catch (err) {
      outcome.error = err as Error;
    }
  }
  return outcome;
}

function checkReplicas(reply: Replies[number] | undefined, replicas: Replicas): void {
  const [err, acknowledged] = reply ?? [new Error('no reply to WAIT'), 0];
  // A WAIT that failed (timed out on our side, say) acknowledged nothing we know of.
  const count = err ? 0 : Number(acknowledged);
  if (count < replicas.count) throw new ReplicationError(count, replicas.count, replicas.waitMs, err ?? undefined);
}

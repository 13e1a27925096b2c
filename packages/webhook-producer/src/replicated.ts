import { OiqError, isCluster, type RedisClient } from '@outboundiq/core/publisher';

export type Reply = [error: Error | null, result: unknown];

/** The part of an ioredis pipeline the appends use (the script defined with defineCommand, WAIT). */
export interface AppendPipeline {
  oiqPublishShard(...args: string[]): void;
  wait(count: number, timeoutMs: number): void;
  exec(): Promise<Reply[]>;
}

/** One call's commands that must reach `count` replicas: one shard's script call of publish or publishMany. */
export interface ReplicatedWrite {
  /** The Cluster slot of every key it touches. */
  slot: number;
  /** Queues its commands on the pipeline; returns how many replies they take. */
  queue(pipeline: AppendPipeline): number;
  /** Until when (ms, Date.now()) it may wait for replicas, and be sent again after a slot refusal. */
  until: number;
  /** When the call gives up if it is still waiting for its turn, unsent (its whole timeout). */
  giveUpAt: number;
}

export interface ReplicatedReplies {
  /** Its own commands' replies. */
  replies: Reply[];
  /** The reply of the WAIT sent after them on the same connection. */
  wait: Reply;
}

/**
 * Redis Cluster refused the command before running it, because of where its slot is: it moved
 * (MOVED: a failover or a resharding), is being moved (ASK, or TRYAGAIN for a script whose keys are
 * half moved), or has no master yet (CLUSTERDOWN). Nothing ran, so it may be sent again.
 */
const SLOT_REFUSAL = /^(MOVED|ASK|TRYAGAIN|CLUSTERDOWN) /;
const SLOT_RETRY_DELAY_MS = 100;

interface Pending {
  write: ReplicatedWrite;
  resolve(result: ReplicatedReplies): void;
  reject(err: unknown): void;
  /** Where it waits, and the timer that gives up on it when its call times out. */
  group?: string;
  timer?: NodeJS.Timeout;
  /** Resolved or rejected already (a timeout came first): later replies are for nobody. */
  done?: boolean;
}

/**
 * Sends writes that must reach replicas: each in a pipeline whose last command is a WAIT, so the WAIT
 * runs on the very connection that ran the writes (a WAIT counts only its own connection's writes).
 *
 * WAIT blocks its connection until it returns, and a client shares one connection per master, so
 * one pipeline per call would queue every call behind the WAITs before it: with a replica gone (a
 * master just failed over) each WAIT takes its whole timeout, calls time out by the dozen while their
 * scripts still run, much later, and the backlog grows as long as calls come. So, group commit: at
 * most one such pipeline is in flight per master; calls that come meanwhile go together in the next
 * one, under one WAIT whose timeout is the earliest of their deadlines. Every call then waits at most
 * for the pipeline in flight and its own, and a healthy cluster sends one WAIT per group, not per call.
 * A call whose timeout comes first rejects then: unsent if it was still waiting for its turn (the
 * pipeline in flight hangs on a master that died), else saying its outcome is unknown. (ioredis's
 * command timeout does not bound a pipeline whose connection closed: it is sent again once the
 * cluster has a master for the slot, WAIT and its first timeout included. So after a failover to a
 * master without replica, that one late WAIT still holds the new master's connection for up to its
 * timeout, and the first calls there reject at their timeout before the next get a ReplicationError.)
 *
 * ioredis follows MOVED, ASK and the like for a pipeline only when every command that did not fail is
 * read-only, which WAIT is not (and MOVED would not even correct its slot map): a refused write is
 * sent again here, until its deadline, after refreshing the slot map for MOVED.
 */
export class ReplicatedWrites {
  private readonly queued = new Map<string, Pending[]>();
  private readonly inFlight = new Set<string>();

  constructor(
    private readonly client: RedisClient,
    private readonly replicas: number,
  ) {}

  send(write: ReplicatedWrite): Promise<ReplicatedReplies> {
    return new Promise((resolve, reject) => {
      const pending: Pending = {
        write,
        resolve: (result) => ((pending.done = true), resolve(result)),
        reject: (err) => ((pending.done = true), reject(err)),
      };
      this.enqueue(pending);
    });
  }

  /**
   * The node group (master and its replicas) a Cluster client sends the slot to now, the way ioredis
   * checks that a pipeline stays on one node; before the slot map is known, the slot alone.
   */
  private groupOf(slot: number): string {
    if (!isCluster(this.client)) return '';
    const nodes = this.client.slots[slot];
    return nodes ? nodes.join(';') : `slot ${slot}`;
  }

  private enqueue(pending: Pending): void {
    const group = this.groupOf(pending.write.slot);
    pending.group = group;
    const list = this.queued.get(group);
    if (list) list.push(pending);
    else this.queued.set(group, [pending]);
    if (!this.inFlight.has(group)) return void this.flush(group);
    this.timeOut(pending, () => this.giveUp(pending));
  }

  private timeOut(pending: Pending, then: () => void): void {
    clearTimeout(pending.timer);
    pending.timer = setTimeout(then, Math.max(0, pending.write.giveUpAt - Date.now()));
    pending.timer.unref();
  }

  private giveUp(pending: Pending): void {
    const list = this.queued.get(pending.group!);
    const at = list?.indexOf(pending) ?? -1;
    if (at < 0) return;
    list!.splice(at, 1);
    if (list!.length === 0) this.queued.delete(pending.group!);
    pending.reject(
      new OiqError('the dials were not sent: their Redis master was still busy with earlier calls when the call timed out (failing over?); nothing was written, so a retry is safe', { retryable: true }),
    );
  }

  private async flush(group: string): Promise<void> {
    const batch: Pending[] = [];
    const elsewhere: Pending[] = [];
    // The slot map may have changed since they were queued: those now elsewhere join their new group.
    for (const p of this.queued.get(group) ?? []) {
      clearTimeout(p.timer);
      (this.groupOf(p.write.slot) === group ? batch : elsewhere).push(p);
    }
    this.queued.delete(group);
    for (const p of elsewhere) this.enqueue(p);
    if (batch.length === 0) return;
    this.inFlight.add(group);
    try {
      await this.sendBatch(batch);
    } catch (err) {
      for (const p of batch) p.reject(err);
    } finally {
      this.inFlight.delete(group);
      if (this.queued.has(group)) void this.flush(group);
    }
  }

  private async sendBatch(batch: Pending[]): Promise<void> {
    const pipeline = this.client.pipeline() as unknown as AppendPipeline;
    const sizes = batch.map((p) => p.write.queue(pipeline));
    pipeline.wait(this.replicas, Math.max(1, Math.min(...batch.map((p) => p.write.until)) - Date.now()));
    const sent = pipeline.exec();
    for (const p of batch) this.timeOut(p, () => p.reject(new OiqError('no answer from Redis within the timeout (failing over?): the dials may or may not be in', { retryable: true })));
    const replies = await sent.finally(() => batch.forEach((p) => clearTimeout(p.timer)));
    const wait = replies[replies.length - 1] ?? [new Error('no reply to WAIT'), 0];
    let at = 0;
    const refused: Pending[] = [];
    let moved = false;
    batch.forEach((p, i) => {
      const own = replies.slice(at, (at += sizes[i]!));
      if (p.done) return;
      const refusal = own.find(([err]) => err !== null && SLOT_REFUSAL.test(err.message))?.[0];
      if (refusal && isCluster(this.client) && Date.now() < p.write.until) {
        refused.push(p);
        moved ||= refusal.message.startsWith('MOVED');
      } else {
        p.resolve({ replies: own, wait });
      }
    });
    if (refused.length === 0) return;
    await this.beforeRetry(moved);
    for (const p of refused) this.enqueue(p);
  }

  /** MOVED: learn the new slot map (a failed refresh leaves it as it was; the next refusal tries again). Else wait a moment. */
  private beforeRetry(moved: boolean): Promise<void> {
    const client = this.client;
    if (moved && isCluster(client)) return new Promise((resolve) => client.refreshSlotsCache(() => resolve()));
    return new Promise((resolve) => setTimeout(resolve, SLOT_RETRY_DELAY_MS));
  }
}

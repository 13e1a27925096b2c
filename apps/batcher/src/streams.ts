import { BATCHER_GROUP, type Keys, type Redis } from '@outboundiq/core';
import type { StreamEntry } from './packing.js';

type RawEntry = [string, string[] | null];

/**
 * The batcher's reads of a company stream through the consumer group. A missing group (new
 * stream, or Redis came back without it) is created on the spot and the read tried again, so a
 * NOGROUP never wedges the loop.
 */
export function createStreamReader(redis: Redis, keys: Keys, consumer: string) {
  const withGroup = async <T>(companySlug: string, read: () => Promise<T>): Promise<T> => {
    try {
      return await read();
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOGROUP')) throw err;
      await createGroup(redis, keys.dials(companySlug));
      return read();
    }
  };

  return {
    /**
     * The next pass for this batcher, plus the company's webhook records, in one round trip: new
     * entries are taken into this consumer's pending list ('>'), and the pass is that whole list
     * from its start ('0'), in stream order. Normally the list holds just what '>' took (every pass
     * is acknowledged whole). But when Redis goes away with a read in flight, ioredis sends the read
     * again after reconnecting: the first read's entries were taken (and persisted) yet never seen,
     * and a bare '>' would strand them, pending forever (lost with one batcher) or recovered by
     * another copy into a different batch (the same dials in two deliveries). Read from '0', they
     * are in this pass, which is also exactly what a recovering batcher's XAUTOCLAIM would take.
     */
    async readNew(companySlug: string, count: number): Promise<{ entries: StreamEntry[]; webhookRecords: string[] }> {
      return withGroup(companySlug, async () => {
        const stream = keys.dials(companySlug);
        const replies = await redis
          .pipeline()
          .xreadgroup('GROUP', BATCHER_GROUP, consumer, 'COUNT', count, 'STREAMS', stream, '>')
          // The whole list: strays (at most one pass) and what '>' just took. A pass cut short here
          // would strand the rest, since a company is marked ready only for entries not yet taken.
          .xreadgroup('GROUP', BATCHER_GROUP, consumer, 'COUNT', 2 * count, 'STREAMS', stream, '0')
          .hvals(keys.webhooks(companySlug))
          .exec();
        const [[takeErr], [readErr, read], [hashErr, records]] = replies as [[Error | null, unknown], [Error | null, unknown], [Error | null, unknown]];
        if (takeErr) throw takeErr;
        if (readErr) throw readErr;
        if (hashErr) throw hashErr;
        const streams = read as [string, RawEntry[]][] | null;
        return { entries: toEntries(streams?.[0]?.[1] ?? []), webhookRecords: records as string[] };
      });
    },

    /**
     * Takes over every entry a dead batcher left unacknowledged (its whole last pass, since a pass is
     * acknowledged at once), in stream order: as many as a pass of readNew may hold, so that both
     * make the same batches.
     */
    async reclaim(companySlug: string, count: number): Promise<{ entries: StreamEntry[]; webhookRecords: string[] }> {
      return withGroup(companySlug, async () => {
        const replies = await redis
          .pipeline()
          .xautoclaim(keys.dials(companySlug), BATCHER_GROUP, consumer, 0, '0-0', 'COUNT', 2 * count)
          .hvals(keys.webhooks(companySlug))
          .exec();
        const [[claimErr, claimed], [hashErr, records]] = replies as [[Error | null, unknown], [Error | null, unknown]];
        if (claimErr) throw claimErr;
        if (hashErr) throw hashErr;
        const [, entries] = claimed as [string, RawEntry[], string[]];
        return { entries: toEntries(entries), webhookRecords: records as string[] };
      });
    },
  };
}

export type StreamReader = ReturnType<typeof createStreamReader>;

async function createGroup(redis: Redis, stream: string): Promise<void> {
  try {
    // From the start of the stream: entries written before the group existed are delivered too.
    await redis.xgroup('CREATE', stream, BATCHER_GROUP, '0', 'MKSTREAM');
  } catch (err) {
    if (!(err instanceof Error) || !err.message.startsWith('BUSYGROUP')) throw err;
  }
}

/** Entries whose content was deleted come back with null fields; they carry nothing to deliver. */
function toEntries(raw: readonly RawEntry[]): StreamEntry[] {
  return raw.map(([id, fields]) => ({ id, fields: fields ?? [] }));
}

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
    /** New entries for this batcher, plus the company's webhook records, in one round trip. */
    async readNew(companySlug: string, count: number): Promise<{ entries: StreamEntry[]; webhookRecords: string[] }> {
      return withGroup(companySlug, async () => {
        const replies = await redis
          .pipeline()
          .xreadgroup('GROUP', BATCHER_GROUP, consumer, 'COUNT', count, 'STREAMS', keys.dials(companySlug), '>')
          .hvals(keys.webhooks(companySlug))
          .exec();
        const [[readErr, read], [hashErr, records]] = replies as [[Error | null, unknown], [Error | null, unknown]];
        if (readErr) throw readErr;
        if (hashErr) throw hashErr;
        const streams = read as [string, RawEntry[]][] | null;
        return { entries: toEntries(streams?.[0]?.[1] ?? []), webhookRecords: records as string[] };
      });
    },

    /**
     * Takes over every entry a dead batcher left unacknowledged (its whole last pass, since a pass is
     * acknowledged at once), in stream order.
     */
    async reclaim(companySlug: string, count: number): Promise<{ entries: StreamEntry[]; webhookRecords: string[] }> {
      return withGroup(companySlug, async () => {
        const replies = await redis
          .pipeline()
          .xautoclaim(keys.dials(companySlug), BATCHER_GROUP, consumer, 0, '0-0', 'COUNT', count)
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

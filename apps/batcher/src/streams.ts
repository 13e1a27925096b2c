import { BATCHER_GROUP, type Keys, type RedisClient } from '@outboundiq/core';
import type { StreamEntry } from './packing.js';

type RawEntry = [string, string[] | null];

/** What one pass works on. */
export interface Pass {
  entries: StreamEntry[];
  /** The company's webhook records (HVALS), to pick the enabled ones. */
  webhookRecords: string[];
  /**
   * Whether this batcher still held the company's claim when it read (the consumer name is the
   * claim token). A claim lost meanwhile (a Redis outage longer than the lease) means another
   * batcher is recovering these entries: this one must not add or acknowledge anything for them.
   */
  owned: boolean;
}

/**
 * One pass's read, atomic with the claim check: only while this batcher (consumer = claim token)
 * still holds the company, take its new entries into this consumer's pending list ('>') and return
 * that whole list from its start ('0'), in stream order, with the company's webhook records.
 * Normally the list holds just what '>' took (every pass is acknowledged whole). But when Redis goes
 * away with a read in flight, ioredis sends it again after reconnecting: entries taken by the first
 * execution were never seen, and a bare '>' would strand them. Read from '0', they are in this pass,
 * which is also exactly what a recovering batcher's XAUTOCLAIM would take. A claim lost meanwhile (an
 * outage longer than the lease) takes nothing: the new owner has the entries.
 *
 * KEYS stream, webhooks hash, the company's shard's owners hash (all in the shard's slot). ARGV group,
 * consumer, count, company. nil when not owned.
 */
const READ_PASS_SCRIPT = `
if redis.call('HGET', KEYS[3], ARGV[4]) ~= ARGV[2] then return false end
redis.call('XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT', ARGV[3], 'STREAMS', KEYS[1], '>')
local pending = redis.call('XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT', 2 * tonumber(ARGV[3]), 'STREAMS', KEYS[1], '0')
return {pending[1][2], redis.call('HVALS', KEYS[2])}
`;

/**
 * Takes over every entry a dead batcher left unacknowledged (its whole last pass), in stream order,
 * as many as a pass may hold, so both make the same batches. Same claim check and keys as above.
 */
const RECLAIM_SCRIPT = `
if redis.call('HGET', KEYS[3], ARGV[4]) ~= ARGV[2] then return false end
local claimed = redis.call('XAUTOCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, '0-0', 'COUNT', 2 * tonumber(ARGV[3]))
return {claimed[2], redis.call('HVALS', KEYS[2])}
`;

type ReaderClient = RedisClient & {
  oiqReadPass(stream: string, webhooks: string, owners: string, group: string, consumer: string, count: number, company: string): Promise<[RawEntry[], string[]] | null>;
  oiqReclaim(stream: string, webhooks: string, owners: string, group: string, consumer: string, count: number, company: string): Promise<[RawEntry[], string[]] | null>;
};

/**
 * The batcher's reads of a company stream through the consumer group. A missing group (new
 * stream, or Redis came back without it) is created on the spot and the read tried again, so a
 * NOGROUP never wedges the loop.
 */
export function createStreamReader(redis: RedisClient, keys: Keys, consumer: string) {
  const client = redis as ReaderClient;
  if (typeof client.oiqReadPass !== 'function') {
    client.defineCommand('oiqReadPass', { numberOfKeys: 3, lua: READ_PASS_SCRIPT });
    client.defineCommand('oiqReclaim', { numberOfKeys: 3, lua: RECLAIM_SCRIPT });
  }
  const run = async (script: 'oiqReadPass' | 'oiqReclaim', companySlug: string, count: number): Promise<Pass> => {
    const owners = keys.shardOfCompany(companySlug).owners();
    const call = () => client[script](keys.dials(companySlug), keys.webhooks(companySlug), owners, BATCHER_GROUP, consumer, count, companySlug);
    let reply: [RawEntry[], string[]] | null;
    try {
      reply = await call();
    } catch (err) {
      if (!(err instanceof Error) || !err.message.includes('NOGROUP')) throw err;
      await createGroup(redis, keys.dials(companySlug));
      reply = await call();
    }
    if (reply === null) return { entries: [], webhookRecords: [], owned: false };
    return { entries: toEntries(reply[0]), webhookRecords: reply[1], owned: true };
  };
  return {
    /** The next pass: new entries and any this batcher already holds. */
    readNew: (companySlug: string, count: number) => run('oiqReadPass', companySlug, count),
    /** A dead batcher's unacknowledged pass. */
    reclaim: (companySlug: string, count: number) => run('oiqReclaim', companySlug, count),
  };
}

export type StreamReader = ReturnType<typeof createStreamReader>;

async function createGroup(redis: RedisClient, stream: string): Promise<void> {
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

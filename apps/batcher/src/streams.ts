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

/**
 * A round's read: the same as READ_PASS_SCRIPT (or RECLAIM_SCRIPT for a company claimed to recover)
 * for every company of one claim, in one call. All of them belong to one shard, so every key shares
 * its hash tag (one slot). A recovery that finds nothing pending reads new entries instead.
 *
 * KEYS the shard's owners hash, then per company its stream and webhooks hash. ARGV group, consumer,
 * count, then per company its slug and 1 to recover / 0 for fresh. Returns per company, in order,
 * {owned 0/1, recovered 0/1, entries, webhook records}.
 */
const READ_ROUND_SCRIPT = `
local group, consumer, count = ARGV[1], ARGV[2], tonumber(ARGV[3])
local function read(stream, id, n)
  local ok = redis.pcall('XREADGROUP', 'GROUP', group, consumer, 'COUNT', n, 'STREAMS', stream, id)
  if type(ok) == 'table' and ok.err then
    if not string.find(ok.err, 'NOGROUP') then return redis.error_reply(ok.err) end
    redis.call('XGROUP', 'CREATE', stream, group, '0', 'MKSTREAM')
    ok = redis.call('XREADGROUP', 'GROUP', group, consumer, 'COUNT', n, 'STREAMS', stream, id)
  end
  return ok
end
local out = {}
for i = 4, #ARGV, 2 do
  local k = (i - 4) / 2
  local company, stream, hooks = ARGV[i], KEYS[2 + 2 * k], KEYS[3 + 2 * k]
  if redis.call('HGET', KEYS[1], company) ~= consumer then
    out[#out + 1] = {0, 0, {}, {}}
  else
    local entries = {}
    local recovered = 0
    if ARGV[i + 1] == '1' then
      local ok = redis.pcall('XAUTOCLAIM', stream, group, consumer, 0, '0-0', 'COUNT', 2 * count)
      if type(ok) == 'table' and not ok.err and #ok[2] > 0 then
        entries = ok[2]
        recovered = 1
      end
    end
    if recovered == 0 then
      local first = read(stream, '>', count)
      if type(first) == 'table' and first.err then return first end
      local pending = read(stream, '0', 2 * count)
      if type(pending) == 'table' and pending.err then return pending end
      if type(pending) == 'table' and pending[1] then entries = pending[1][2] end
    end
    out[#out + 1] = {1, recovered, entries, redis.call('HVALS', hooks)}
  end
end
return out
`;

/** One company's part of a round's read. */
export interface RoundRead extends Pass {
  companySlug: string;
  /** The entries are a dead batcher's unacknowledged pass, taken over. */
  recovered: boolean;
}

type ReaderClient = RedisClient & {
  oiqReadRound(numberOfKeys: number, ...args: (string | number)[]): Promise<[number, number, RawEntry[], string[]][]>;
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
    client.defineCommand('oiqReadRound', { lua: READ_ROUND_SCRIPT });
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
    /**
     * A round's read: `readNew` (or `reclaim`, for a claim of kind recover) of every claimed company
     * of one shard, in one call. Each company's part says whether this batcher still held it.
     */
    async readRound(shard: number, companies: readonly { companySlug: string; recover: boolean }[], count: number): Promise<RoundRead[]> {
      if (companies.length === 0) return [];
      const keyList = [keys.shard(shard).owners()];
      const args: (string | number)[] = [BATCHER_GROUP, consumer, count];
      for (const c of companies) {
        keyList.push(keys.dials(c.companySlug), keys.webhooks(c.companySlug));
        args.push(c.companySlug, c.recover ? 1 : 0);
      }
      const reply = await client.oiqReadRound(keyList.length, ...keyList, ...args);
      return companies.map((c, i) => {
        const [owned, recovered, entries, webhookRecords] = reply[i] ?? [0, 0, [], []];
        return { companySlug: c.companySlug, owned: owned === 1, recovered: recovered === 1, entries: toEntries(entries), webhookRecords };
      });
    },
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

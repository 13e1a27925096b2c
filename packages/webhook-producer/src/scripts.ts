import type { Keys, RedisClient, ShardKeys } from '@outboundiq/core/publisher';

/**
 * One shard's part of a call, in one step: appends each entry (a JSON array of up to a batch of one
 * company's dials) to its company's stream and marks the company ready for the batchers, skipping
 * the companies with no enabled webhook. A whole publishMany's part of a shard is one script call,
 * however many companies it spreads over; a publish is the same script with one append.
 *
 * The ready score is Redis's clock, so batchers on any machine agree on how long a company waited.
 * A company a batcher holds (leased) is not marked: the batcher marks it again on release if
 * anything arrived meanwhile (see apps/batcher/src/scheduler.ts). When a company is the first one
 * ready in its shard, the batchers are woken on the wake channel (a channel is not a key, so it
 * travels in ARGV; PUBLISH from a script is allowed on a cluster). Only the first: a shard with
 * companies already waiting has a batcher on its way.
 *
 * With an idempotency key the script keeps, in the shard, a record of the call: the fingerprint of
 * the shard's appends and one flag per append done ('1' appended, '0' skipped). A call finding the
 * record with its fingerprint appends only the appends not done yet (all of them done: nothing) and
 * answers with the whole record, so a retry resolves with the first call's result and a part that
 * failed half-way is completed, never repeated. It touches the record even then (HINCRBY), so a
 * WAIT after it covers the first call's writes too. Another fingerprint under the key is refused.
 *
 * KEYS[1] the shard's enabled-companies set, KEYS[2] its ready zset, KEYS[3] its leases zset,
 * KEYS[4] the idempotency record (without a key, any key of the shard: unused), KEYS[4 + i] the
 * stream of append i. All share the shard's hash tag (one slot).
 * ARGV[1] publish time (ms, the publisher's clock), ARGV[2] wake channel, ARGV[3] shard number,
 * ARGV[4] the record's lifetime in ms ('' = no idempotency key), ARGV[5] the fingerprint,
 * ARGV[4 + 2i] append i's company, ARGV[5 + 2i] its dials JSON.
 * Returns { flags, done before this call } (an error part-way adds its message: the flags then say
 * which appends went in), or { '', -1 } when the key holds another fingerprint.
 */
export const PUBLISH_SHARD_SCRIPT = `
local appends = #KEYS - 4
local keyed = ARGV[4] ~= ''
local before = ''
if keyed then
  local held = redis.call('HMGET', KEYS[4], 'f', 'r')
  if held[1] then
    if held[1] ~= ARGV[5] then return {'', -1} end
    before = held[2]
    redis.pcall('HINCRBY', KEYS[4], 'n', 1)
    if #before >= appends then return {before, #before} end
  end
end
local flags, now, failed = {}, nil, nil
for i = #before + 1, appends do
  local company = ARGV[4 + 2 * i]
  if redis.call('SISMEMBER', KEYS[1], company) == 0 then
    flags[#flags + 1] = '0'
  else
    local added = redis.pcall('XADD', KEYS[4 + i], '*', 'd', ARGV[5 + 2 * i], 't', ARGV[1])
    if type(added) == 'table' and added.err then
      failed = added.err
      break
    end
    flags[#flags + 1] = '1'
    -- Marked already: nothing to do (ZADD NX would change nothing). Else unless leased, mark it.
    if not redis.call('ZSCORE', KEYS[2], company) and not redis.call('ZSCORE', KEYS[3], company) then
      now = now or redis.call('TIME')
      local marked = redis.call('ZADD', KEYS[2], 'NX', now[1] * 1000 + math.floor(now[2] / 1000), company)
      if marked == 1 and redis.call('ZCARD', KEYS[2]) == 1 then
        redis.call('PUBLISH', ARGV[2], ARGV[3])
      end
    end
  end
end
local all = before .. table.concat(flags)
if keyed and #flags > 0 then
  local stored = redis.pcall('HSET', KEYS[4], 'f', ARGV[5], 'r', all)
  if #before == 0 and type(stored) == 'number' then redis.call('PEXPIRE', KEYS[4], ARGV[4]) end
end
if failed then return {all, #before, failed} end
if #before == 0 then
  if appends == 1 then return tonumber(all) end
  return all
end
return {all, #before}
`;

/** How long Redis keeps an idempotency record after the first call with its key (CONTRACT 2.1). */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

/** One stream entry to append: up to a batch of one company's dials. */
export interface ShardAppend {
  company: string;
  stream: string;
  dialsJson: string;
  dials: number;
}

/** What a shard's script call needs besides its appends. */
export interface ShardCall {
  shard: ShardKeys;
  appends: ShardAppend[];
  /** The idempotency record and the fingerprint of the appends, when the call has a key. */
  idempotency?: { key: string; fingerprint: string };
}

/** The script's numkeys, KEYS and ARGV for one shard's call: the only place they are put together (the slot test uses it too). */
export function publishShardArgs(keys: Keys, call: ShardCall, atMs: number): string[] {
  const { shard, appends, idempotency } = call;
  // Built by push, not into a preallocated (holey) array: ioredis flattens it on every call.
  const args = [String(4 + appends.length), shard.enabledCompanies(), shard.ready(), shard.leases(), idempotency ? idempotency.key : shard.enabledCompanies()];
  for (const append of appends) args.push(append.stream);
  args.push(String(atMs), keys.wakeChannel(), String(shard.shard), idempotency ? String(IDEMPOTENCY_TTL_MS) : '', idempotency ? idempotency.fingerprint : '');
  for (const append of appends) args.push(append.company, append.dialsJson);
  return args;
}

/** The script's reply: `flags[i]` is '1' when append i went in, '0' when skipped; appends past the end were not done. */
export interface ShardReply {
  flags: string;
  /** How many appends an earlier call with the same key had done (0 without a key). */
  doneBefore: number;
  /** Why the script stopped part-way. */
  failure?: string;
  /** The idempotency key holds another call's dials. */
  conflict?: true;
}

export function parseShardReply(reply: unknown): ShardReply {
  // The common answer is the flags alone, as an integer for one append (ioredis reads an array
  // reply far more slowly than a string or an integer: it showed in publish's cost per dial).
  if (typeof reply === 'string' || typeof reply === 'number') return { flags: String(reply), doneBefore: 0 };
  if (!Array.isArray(reply) || reply.length < 2) throw new Error(`publish: unexpected reply from Redis to the publish script: ${JSON.stringify(reply)}`);
  const [flags, doneBefore, failure] = reply as [unknown, unknown, unknown];
  if (doneBefore === -1) return { flags: '', doneBefore: 0, conflict: true };
  return { flags: String(flags), doneBefore: Number(doneBefore), ...(failure === undefined ? {} : { failure: String(failure) }) };
}

export type ScriptClient = RedisClient & { oiqPublishShard(...args: string[]): Promise<unknown> };

/** defineCommand sends EVAL once per connection, then EVALSHA: one round trip per call, failovers included. */
export function withPublishScript(client: RedisClient): ScriptClient {
  const c = client as ScriptClient;
  // No numberOfKeys: each call gives its own (the first argument), as a shard's part varies in size.
  if (typeof c.oiqPublishShard !== 'function') c.defineCommand('oiqPublishShard', { lua: PUBLISH_SHARD_SCRIPT });
  return c;
}

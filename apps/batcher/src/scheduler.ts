import { BATCHER_GROUP, type Keys, type RedisClient } from '@outboundiq/core';

/**
 * Which batcher works on which company, and when.
 *
 * A company with dials waiting sits in the `ready` zset, scored by when its oldest waiting dial
 * arrived (Redis clock). A batcher claims companies whose wait has reached BATCH_MAX_WAIT_MS: each
 * moves to the `leases` zset, scored by when the claim runs out, with the batcher's token in
 * `owners`. So one company is worked by one batcher at a time, which keeps each read-pack-ack pass
 * whole; a batcher that dies leaves its lease to run out, and the next claim of that company
 * recovers its unacknowledged entries (`recover`). Finding work never scans companies.
 *
 * Each shard has its own three keys (`keys.shard(k)`), in its hash slot with its companies'
 * streams, so every script here touches one slot: a claim looks at one shard, a release at the
 * company's shard, a renewal is one call per shard.
 *
 * Invariant: a company is in `ready` or in `leases`, never both. The producer marks a company ready
 * only when it is not leased; releasing a lease marks it ready again if entries arrived meanwhile.
 * Whoever makes a company the only member of its shard's `ready` publishes the shard number on
 * `keys.wakeChannel()`: batchers that found the shard empty are not polling it (see shard-clock.ts).
 */

/**
 * KEYS ready, leases, owners (of one shard). ARGV limit, max wait ms, lease ms, token. Returns
 * {claims, waitMs}: when to look at the shard again. 0 when the limit was reached (more may be due);
 * else everything due was taken, and waitMs is how long until the next ready company or lease is due,
 * or -1 when the shard has neither (it is empty until a wake message says otherwise).
 */
const CLAIM_SCRIPT = `
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local limit = tonumber(ARGV[1])
local leaseUntil = now + tonumber(ARGV[3])
local out = {}
local function take(c, kind)
  redis.call('ZADD', KEYS[2], leaseUntil, c)
  redis.call('HSET', KEYS[3], c, ARGV[4])
  out[#out + 1] = c
  out[#out + 1] = kind
end
for _, c in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, limit)) do take(c, 'recover') end
local room = limit - #out / 2
if room > 0 then
  local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[2]), 'LIMIT', 0, room)
  for _, c in ipairs(due) do
    redis.call('ZREM', KEYS[1], c)
    take(c, 'fresh')
  end
  room = room - #due
end
if room == 0 then return {out, 0} end
local waitMs = -1
local r = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #r > 0 then waitMs = math.max(1, tonumber(r[2]) + tonumber(ARGV[2]) - now) end
local l = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
if #l > 0 then
  local lw = math.max(1, tonumber(l[2]) - now)
  if waitMs < 0 or lw < waitMs then waitMs = lw end
end
return {out, waitMs}
`;

/**
 * KEYS ready, leases, owners, the company's stream. ARGV company, token, group, retry-after ms,
 * wake channel, shard. With retry-after 0 the claim ends, and the company is marked ready (scored by
 * the arrival of its first undelivered entry) if anything arrived while it was held. With
 * retry-after > 0 (the pass failed) the lease is kept to run out then, so the next claim recovers
 * the pending entries. Returns 0 when the claim had already passed to another batcher, 2 when the
 * company was marked ready again, else 1.
 */
const RELEASE_SCRIPT = `
if redis.call('HGET', KEYS[3], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('HDEL', KEYS[3], ARGV[1])
local retryAfter = tonumber(ARGV[4])
if retryAfter > 0 then
  local t = redis.call('TIME')
  redis.call('ZADD', KEYS[2], t[1] * 1000 + math.floor(t[2] / 1000) + retryAfter, ARGV[1])
  return 1
end
redis.call('ZREM', KEYS[2], ARGV[1])
local lastDelivered = '0-0'
local groups = redis.pcall('XINFO', 'GROUPS', KEYS[4])
if type(groups) == 'table' and groups.err == nil then
  for _, g in ipairs(groups) do
    local name, last
    for i = 1, #g, 2 do
      if g[i] == 'name' then name = g[i + 1] elseif g[i] == 'last-delivered-id' then last = g[i + 1] end
    end
    if name == ARGV[3] then lastDelivered = last end
  end
end
local nextEntry = redis.call('XRANGE', KEYS[4], '(' .. lastDelivered, '+', 'COUNT', 1)
if #nextEntry == 0 then return 1 end
local added = redis.call('ZADD', KEYS[1], 'NX', tonumber(string.match(nextEntry[1][1], '^(%d+)')), ARGV[1])
if added == 1 and redis.call('ZCARD', KEYS[1]) == 1 then redis.call('PUBLISH', ARGV[5], ARGV[6]) end
return 2
`;

/**
 * The end of a round over companies of one shard: for each, dead-letter its poison entries,
 * acknowledge and delete what the round read (its jobs are added by now), then end the claim as
 * RELEASE_SCRIPT does with retry-after 0. One call for every company of the round; all keys carry
 * the shard's tag (one slot). Entries are acknowledged even when the claim passed to another
 * batcher meanwhile: their jobs exist, so the other batcher's same jobs are no-ops.
 *
 * KEYS ready, leases, owners, then per company its stream and dead-letter stream. ARGV group, token,
 * wake channel, shard, dead-letter max length, time (ISO), then per company: slug, n, n entry ids,
 * m, m x (entry id, reason, raw). Returns per company 0 (lost), 1 (released) or 2 (ready again).
 */
const FINISH_ROUND_SCRIPT = `
local group, token = ARGV[1], ARGV[2]
local woke = false
local out = {}
local i = 7
local k = 0
while i <= #ARGV do
  local company = ARGV[i]
  local stream, dead = KEYS[4 + 2 * k], KEYS[5 + 2 * k]
  local n = tonumber(ARGV[i + 1])
  local ids = {}
  for j = 1, n do ids[j] = ARGV[i + 1 + j] end
  i = i + 2 + n
  local m = tonumber(ARGV[i])
  for j = 0, m - 1 do
    local at = i + 1 + 3 * j
    redis.call('XADD', dead, 'MAXLEN', '~', ARGV[5], '*', 'entryId', ARGV[at], 'reason', ARGV[at + 1], 'raw', ARGV[at + 2], 'at', ARGV[6])
  end
  i = i + 1 + 3 * m
  if n > 0 then
    redis.call('XACK', stream, group, unpack(ids))
    redis.call('XDEL', stream, unpack(ids))
  end
  local outcome = 0
  if redis.call('HGET', KEYS[3], company) == token then
    redis.call('HDEL', KEYS[3], company)
    redis.call('ZREM', KEYS[2], company)
    outcome = 1
    local lastDelivered = '0-0'
    local groups = redis.pcall('XINFO', 'GROUPS', stream)
    if type(groups) == 'table' and groups.err == nil then
      for _, g in ipairs(groups) do
        local name, last
        for x = 1, #g, 2 do
          if g[x] == 'name' then name = g[x + 1] elseif g[x] == 'last-delivered-id' then last = g[x + 1] end
        end
        if name == group then lastDelivered = last end
      end
    end
    local nextEntry = redis.call('XRANGE', stream, '(' .. lastDelivered, '+', 'COUNT', 1)
    if #nextEntry > 0 then
      local added = redis.call('ZADD', KEYS[1], 'NX', tonumber(string.match(nextEntry[1][1], '^(%d+)')), company)
      if added == 1 and not woke and redis.call('ZCARD', KEYS[1]) == 1 then
        redis.call('PUBLISH', ARGV[3], ARGV[4])
        woke = true
      end
      outcome = 2
    end
  end
  out[#out + 1] = outcome
  k = k + 1
end
return out
`;

/**
 * KEYS leases, owners (of one shard). ARGV lease ms, token, companies of that shard... Pushes out
 * the end of every claim this batcher still holds, so a live batcher's claim never runs out under
 * it, however slow a pass is.
 */
const RENEW_SCRIPT = `
local t = redis.call('TIME')
local leaseUntil = t[1] * 1000 + math.floor(t[2] / 1000) + tonumber(ARGV[1])
local renewed = 0
for i = 3, #ARGV do
  if redis.call('HGET', KEYS[2], ARGV[i]) == ARGV[2] then
    redis.call('ZADD', KEYS[1], 'XX', leaseUntil, ARGV[i])
    renewed = renewed + 1
  end
end
return renewed
`;

export type ClaimKind = 'fresh' | 'recover';

export interface Claim {
  companySlug: string;
  shard: number;
  kind: ClaimKind;
}

/** What a claim call on one shard found. */
export interface ClaimResult {
  claims: Claim[];
  /** Ms until the shard may have work due: 0 when `limit` was reached; -1 when it has no ready company and no lease. */
  waitMs: number;
}

/** How a release ended: `lost` (another batcher holds the company now), `released`, or `ready-again` (entries arrived meanwhile). */
export type ReleaseOutcome = 'lost' | 'released' | 'ready-again';

type SchedulerClient = RedisClient & {
  oiqClaim(ready: string, leases: string, owners: string, limit: number, maxWaitMs: number, leaseMs: number, token: string): Promise<[string[], number]>;
  oiqRelease(
    ready: string, leases: string, owners: string, stream: string,
    company: string, token: string, group: string, retryAfterMs: number, wakeChannel: string, shard: number,
  ): Promise<number>;
  oiqRenew(leases: string, owners: string, leaseMs: number, token: string, ...companies: string[]): Promise<number>;
  oiqFinishRound(numberOfKeys: number, ...args: (string | number)[]): Promise<number[]>;
};

/** What a round hands back for one company: the entries it read, and those among them that were poison. */
export interface RoundAck {
  companySlug: string;
  entryIds: readonly string[];
  poison: readonly { entryId: string; reason: string; raw: string }[];
}

export interface SchedulerSettings {
  maxWaitMs: number;
  leaseMs: number;
  /** This batcher's identity: lease owner and consumer name. */
  token: string;
}

const RELEASE_OUTCOMES: readonly ReleaseOutcome[] = ['lost', 'released', 'ready-again'];

export function createScheduler(redis: RedisClient, keys: Keys, settings: SchedulerSettings) {
  const client = redis as SchedulerClient;
  if (typeof client.oiqClaim !== 'function') {
    client.defineCommand('oiqClaim', { numberOfKeys: 3, lua: CLAIM_SCRIPT });
    client.defineCommand('oiqRelease', { numberOfKeys: 4, lua: RELEASE_SCRIPT });
    client.defineCommand('oiqRenew', { numberOfKeys: 2, lua: RENEW_SCRIPT });
    client.defineCommand('oiqFinishRound', { lua: FINISH_ROUND_SCRIPT });
  }
  return {
    /**
     * Claims up to `limit` companies of one shard whose oldest dial has waited `maxWaitMs`
     * (default: the configured wait), and any whose lease ran out (a dead batcher's).
     */
    async claim(shard: number, limit: number, maxWaitMs = settings.maxWaitMs): Promise<ClaimResult> {
      const s = keys.shard(shard);
      const [flat, waitMs] = await client.oiqClaim(s.ready(), s.leases(), s.owners(), limit, maxWaitMs, settings.leaseMs, settings.token);
      const claims: Claim[] = [];
      for (let i = 0; i < flat.length; i += 2) claims.push({ companySlug: flat[i]!, shard, kind: flat[i + 1] as ClaimKind });
      return { claims, waitMs: Number(waitMs) };
    },
    /** Ends a claim; `retryAfterMs` > 0 keeps it for recovery after that long. */
    async release(companySlug: string, retryAfterMs = 0): Promise<ReleaseOutcome> {
      const s = keys.shardOfCompany(companySlug);
      const outcome = await client.oiqRelease(
        s.ready(), s.leases(), s.owners(), keys.dials(companySlug),
        companySlug, settings.token, BATCHER_GROUP, retryAfterMs, keys.wakeChannel(), s.shard,
      );
      return RELEASE_OUTCOMES[outcome] ?? 'released';
    },
    /**
     * Ends a round over companies of one shard (after its jobs were added): dead letters, the
     * acknowledgement and the release of every company in one call. Outcomes in the same order.
     */
    async finishRound(shard: number, acks: readonly RoundAck[], deadLetterMaxLen: number): Promise<ReleaseOutcome[]> {
      if (acks.length === 0) return [];
      const s = keys.shard(shard);
      const keyList = [s.ready(), s.leases(), s.owners()];
      const args: (string | number)[] = [BATCHER_GROUP, settings.token, keys.wakeChannel(), s.shard, deadLetterMaxLen, new Date().toISOString()];
      for (const a of acks) {
        keyList.push(keys.dials(a.companySlug), keys.deadLetters(a.companySlug));
        args.push(a.companySlug, a.entryIds.length, ...a.entryIds, a.poison.length);
        for (const p of a.poison) args.push(p.entryId, p.reason, p.raw);
      }
      const outcomes = await client.oiqFinishRound(keyList.length, ...keyList, ...args);
      return acks.map((_, i) => RELEASE_OUTCOMES[outcomes[i] ?? 1] ?? 'released');
    },
    /** Extends the claims this batcher holds on `companies` (one call per shard); returns how many it still held. */
    async renew(companies: Iterable<string>): Promise<number> {
      const byShard = new Map<number, string[]>();
      for (const c of companies) {
        const shard = keys.shardOf(c);
        const list = byShard.get(shard);
        if (list) list.push(c);
        else byShard.set(shard, [c]);
      }
      const renewed = await Promise.all(
        [...byShard].map(([shard, list]) => client.oiqRenew(keys.shard(shard).leases(), keys.shard(shard).owners(), settings.leaseMs, settings.token, ...list)),
      );
      return renewed.reduce((sum, n) => sum + n, 0);
    },
  };
}

export type Scheduler = ReturnType<typeof createScheduler>;

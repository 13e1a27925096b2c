/**
 * Lua of the delivery log. Every key a script touches is one webhook's log, in its company's slot
 * (keys.ts); trimmed records are reached through ARGV's record prefix, which carries the same tag.
 */

/**
 * Records one outcome of a delivery, keeps the retention, counts it. A record made again (a resend,
 * or a job run again after a crash) keeps its first fields and gets the new attempts appended.
 * KEYS: record, batch, all zset, failed zset, this hour's counters.
 * ARGV: deliveryId, status, attempts JSON, dialCount, firstPublishedAt, createdAt, now (ms), dials JSON,
 *       keep, keepFailed, retentionMs, batchRetentionMs, statsTtlMs, record prefix, maxAttempts.
 */
export const RECORD_SCRIPT = `
local rec, batch, all, failed, stats = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local id, status, attempts = ARGV[1], ARGV[2], ARGV[3]
local now = tonumber(ARGV[7])
local prev = redis.call('HGET', rec, 'at')
if prev and prev ~= '[]' and attempts ~= '[]' then
  local list = cjson.decode(prev)
  for _, a in ipairs(cjson.decode(attempts)) do list[#list + 1] = a end
  while #list > tonumber(ARGV[15]) do table.remove(list, 1) end
  attempts = cjson.encode(list)
elseif prev and attempts == '[]' then
  attempts = prev
end
-- A resend that found its webhook disabled or deleted changed nothing: still failed, still resendable.
if status == 'skipped' and redis.call('HGET', rec, 'st') == 'failed' then status = 'failed' end
if redis.call('EXISTS', rec) == 0 then
  redis.call('HSET', rec, 'n', ARGV[4], 'fp', ARGV[5], 'ca', ARGV[6])
end
redis.call('HSET', rec, 'st', status, 'fa', ARGV[7], 'at', attempts)
redis.call('PEXPIRE', rec, ARGV[11])
redis.call('ZADD', all, now, id)
if status == 'failed' then
  redis.call('ZADD', failed, now, id)
  -- The batch as it first failed; its clock runs from then, a resend does not extend it.
  redis.call('SET', batch, ARGV[8], 'PX', ARGV[12], 'NX')
else
  redis.call('ZREM', failed, id)
  redis.call('DEL', batch)
end

-- Retention: older than retentionMs, or past the latest keep / keepFailed.
local prefix = ARGV[14]
local cutoff = '(' .. (now - tonumber(ARGV[11]))
local dropped = {}
local function drop(zset, members, batches)
  for _, m in ipairs(members) do
    redis.call('ZREM', zset, m)
    dropped[#dropped + 1] = m
    if batches then redis.call('DEL', prefix .. m .. ':batch') end
  end
end
drop(all, redis.call('ZRANGEBYSCORE', all, '-inf', cutoff), false)
drop(failed, redis.call('ZRANGEBYSCORE', failed, '-inf', cutoff), true)
local extra = redis.call('ZCARD', all) - tonumber(ARGV[9])
if extra > 0 then drop(all, redis.call('ZRANGE', all, 0, extra - 1), false) end
extra = redis.call('ZCARD', failed) - tonumber(ARGV[10])
if extra > 0 then drop(failed, redis.call('ZRANGE', failed, 0, extra - 1), true) end
for _, m in ipairs(dropped) do
  if not redis.call('ZSCORE', all, m) and not redis.call('ZSCORE', failed, m) then
    redis.call('DEL', prefix .. m, prefix .. m .. ':batch')
  end
end

-- The log's sets go with their newest record: nothing of a webhook's log outlives the retention.
redis.call('PEXPIRE', all, ARGV[11])
redis.call('PEXPIRE', failed, ARGV[11])

redis.call('HINCRBY', stats, ARGV[2], 1)
if status == 'delivered' then redis.call('HINCRBY', stats, 'dials', ARGV[4]) end
redis.call('PEXPIRE', stats, ARGV[13])
return #dropped
`;

/**
 * A customer's resend, checked (marked only once it is queued: MARK_RESENT_SCRIPT).
 * KEYS: record, batch. ARGV: now (ms), unused.
 * Returns {'not_found'} | {'not_failed'} | {'gone'} | {'ok', dials, dialCount, firstPublishedAt, finishedAt}.
 */
export const CLAIM_RESEND_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 0 then return {'not_found'} end
local f = redis.call('HMGET', KEYS[1], 'st', 'n', 'fp', 'fa')
if f[1] ~= 'failed' then return {'not_failed'} end
local dials = redis.call('GET', KEYS[2])
if not dials then return {'gone'} end
return {'ok', dials, f[2], f[3], f[4]}
`;

/** KEYS: records of one webhook's log (one slot). ARGV: now (ms). Marks the queued resends. */
export const MARK_RESENT_SCRIPT = `
for _, rec in ipairs(KEYS) do
  if redis.call('EXISTS', rec) == 1 then redis.call('HSET', rec, 'ra', ARGV[1]) end
end
return #KEYS
`;

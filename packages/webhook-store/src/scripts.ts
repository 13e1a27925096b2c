// Lua run atomically by Redis, so limits and the enabled-companies index can never drift from the
// webhooks themselves, however many admin copies race.

/** Recomputes whether the company has an enabled webhook. Expects KEYS[1] hash, KEYS[2] set, ARGV[1] company. */
const SYNC_ENABLED = `
local function syncEnabled()
  for _, raw in ipairs(redis.call('HVALS', KEYS[1])) do
    if cjson.decode(raw).enabled == true then
      redis.call('SADD', KEYS[2], ARGV[1])
      return
    end
  end
  redis.call('SREM', KEYS[2], ARGV[1])
end
`;

/** ARGV[2] id, ARGV[3] record JSON, ARGV[4] limit. Returns 1, or -1 at the limit. */
export const CREATE_SCRIPT = `${SYNC_ENABLED}
if redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[4]) then return -1 end
redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
syncEnabled()
return 1
`;

/**
 * ARGV[2] id, ARGV[3] JSON object of fields to set, ARGV[4] the record as the caller read it, or ''.
 * Merged inside Redis so a rotation and an edit racing each other both land. Fields computed from
 * what was stored (a masked header value kept, clear headers sealed) apply only if the record is
 * still the one read: otherwise 'stale', and the caller reads again. Returns the new record JSON,
 * or false when there is no such webhook.
 */
export const PATCH_SCRIPT = `${SYNC_ENABLED}
local raw = redis.call('HGET', KEYS[1], ARGV[2])
if not raw then return false end
if ARGV[4] ~= '' and raw ~= ARGV[4] then return 'stale' end
local record = cjson.decode(raw)
for field, value in pairs(cjson.decode(ARGV[3])) do record[field] = value end
local encoded = cjson.encode(record)
redis.call('HSET', KEYS[1], ARGV[2], encoded)
syncEnabled()
return encoded
`;

/**
 * KEYS[3], KEYS[4]: the webhook's delivery log sets (any status, failed); ARGV[2] id, ARGV[3] the
 * log's record prefix. The webhook's log goes with it: its records and kept batches (customers'
 * dials) are not kept for a webhook that no longer exists. Returns 1 when deleted, 0 when there was
 * no such webhook.
 */
export const DELETE_SCRIPT = `${SYNC_ENABLED}
local removed = redis.call('HDEL', KEYS[1], ARGV[2])
syncEnabled()
if removed == 1 then
  local ids = redis.call('ZRANGE', KEYS[3], 0, -1)
  for _, m in ipairs(redis.call('ZRANGE', KEYS[4], 0, -1)) do ids[#ids + 1] = m end
  for _, m in ipairs(ids) do redis.call('DEL', ARGV[3] .. m, ARGV[3] .. m .. ':batch') end
  redis.call('DEL', KEYS[3], KEYS[4])
end
return removed
`;

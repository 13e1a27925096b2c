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

/** ARGV[2] id. Returns 1 when deleted, 0 when there was no such webhook. */
export const DELETE_SCRIPT = `${SYNC_ENABLED}
local removed = redis.call('HDEL', KEYS[1], ARGV[2])
syncEnabled()
return removed
`;

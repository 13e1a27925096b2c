/**
 * Appends one entry (a JSON array of one company's dials) to the company's stream and marks the
 * company ready for the batchers, in one step, unless the company has no enabled webhook.
 * The ready score is Redis's clock, so batchers on any machine agree on how long it has waited.
 * A company a batcher holds (leased) is not marked: the batcher marks it again on release if
 * anything arrived meanwhile (see apps/batcher/src/scheduler.ts).
 *
 * KEYS[1] enabled-companies set, KEYS[2] scheduler ready zset, KEYS[3] the company's dial stream,
 * KEYS[4] scheduler leases zset
 * ARGV[1] company slug, ARGV[2] dials JSON array, ARGV[3] publish time (ms, the publisher's clock)
 * Returns 1 when appended, 0 when the company was skipped.
 */
export const PUBLISH_SCRIPT = `
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('XADD', KEYS[3], '*', 'd', ARGV[2], 't', ARGV[3])
local now = redis.call('TIME')
if not redis.call('ZSCORE', KEYS[4], ARGV[1]) then
  redis.call('ZADD', KEYS[2], 'NX', now[1] * 1000 + math.floor(now[2] / 1000), ARGV[1])
end
return 1
`;

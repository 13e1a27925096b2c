import type { Keys, RedisClient } from '@outboundiq/core/publisher';

/**
 * Appends one entry (a JSON array of one company's dials) to the company's stream and marks the
 * company ready for the batchers, in one step, unless the company has no enabled webhook.
 * The ready score is Redis's clock, so batchers on any machine agree on how long it has waited.
 * A company a batcher holds (leased) is not marked: the batcher marks it again on release if
 * anything arrived meanwhile (see apps/batcher/src/scheduler.ts).
 * When the company is the first one ready in its shard, the batchers are woken on the wake channel
 * (a channel is not a key, so it travels in ARGV; PUBLISH from a script is allowed on a cluster).
 * Only the first: a shard with companies already waiting has a batcher on its way.
 *
 * KEYS[1] the shard's enabled-companies set, KEYS[2] its ready zset, KEYS[3] the company's dial
 * stream, KEYS[4] the shard's leases zset: all four share the shard's hash tag (one slot).
 * ARGV[1] company slug, ARGV[2] dials JSON array, ARGV[3] publish time (ms, the publisher's clock),
 * ARGV[4] wake channel, ARGV[5] shard number
 * Returns 1 when appended, 0 when the company was skipped.
 */
export const PUBLISH_SCRIPT = `
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('XADD', KEYS[3], '*', 'd', ARGV[2], 't', ARGV[3])
if not redis.call('ZSCORE', KEYS[4], ARGV[1]) then
  local now = redis.call('TIME')
  local added = redis.call('ZADD', KEYS[2], 'NX', now[1] * 1000 + math.floor(now[2] / 1000), ARGV[1])
  if added == 1 and redis.call('ZCARD', KEYS[2]) == 1 then
    redis.call('PUBLISH', ARGV[4], ARGV[5])
  end
end
return 1
`;

export const PUBLISH_KEY_COUNT = 4;

export type PublishArgs = [enabled: string, ready: string, stream: string, leases: string, company: string, dials: string, at: string, wakeChannel: string, shard: string];

/** The script's KEYS then ARGV for one append: the only place they are put together (the slot test uses it too). */
export function publishScriptArgs(keys: Keys, company: string, dialsJson: string, atMs: number): PublishArgs {
  const shard = keys.shardOfCompany(company);
  return [shard.enabledCompanies(), shard.ready(), keys.dials(company), shard.leases(), company, dialsJson, String(atMs), keys.wakeChannel(), String(shard.shard)];
}

export type ScriptClient = RedisClient & { oiqPublish(...args: PublishArgs): Promise<number> };

/** defineCommand sends EVAL once per connection, then EVALSHA: one round trip per call, failovers included. */
export function withPublishScript(client: RedisClient): ScriptClient {
  const c = client as ScriptClient;
  if (typeof c.oiqPublish !== 'function') c.defineCommand('oiqPublish', { numberOfKeys: PUBLISH_KEY_COUNT, lua: PUBLISH_SCRIPT });
  return c;
}

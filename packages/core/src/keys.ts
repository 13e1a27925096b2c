import { shardOf, shardTag, assertShards } from './shards.js';

/**
 * Every Redis key of the system is built here. Key layout 2 (KEY_LAYOUT_VERSION).
 *
 * Prefix `p` (default `oiq`, from KEY_PREFIX); S shards (SHARDS, default 1); `t` = shardTag(k, S),
 * the hash tag of shard k; a company `c` belongs to shard shardOf(c, S) (see shards.ts):
 *   p:layout                    hash     { shards: S, version }: written once, checked by every process
 *   p:{t}:c:<c>:dials           stream   the company's pending dials (one entry = one or more dials)
 *   p:{t}:c:<c>:dead            stream   entries the batcher could not use (poison), for operators
 *   p:{t}:c:<c>:webhooks        hash     webhook id -> webhook record (secret and header values sealed)
 *   p:{t}:c:<c>:portal:<h>      string   a portal session: h = SHA-256 hex of its token, value = the
 *                                        company's portal generation at creation; expires with the session
 *   p:{t}:c:<c>:portal-gen      string   the company's portal generation (absent = 0): revoking every
 *                                        session of the company at once is one INCR
 *   p:{t}:companies:enabled     set      the shard's companies with at least one enabled webhook
 *   p:{t}:sched:ready           zset     company -> ms since which it has dials waiting for a batcher
 *   p:{t}:sched:leases          zset     company -> ms at which a batcher's claim on it runs out
 *   p:{t}:sched:owners          hash     company -> token of the batcher holding the claim
 *   p:{t}:idem:<key>            hash     a publisher's idempotencyKey, per shard: the fingerprint of the call's
 *                                        dials of this shard and which of its appends went in; expires 24 h
 *                                        after the first call (webhook-producer's publish script)
 *   p:{t}:bull:deliveries:...   BullMQ   the shard's delivery queue (BullMQ's prefix `p:{t}:bull`)
 *   p:sched:wake                channel  (pub/sub, not a key) "shard k has a company newly ready"
 *   p:auth-fail:<address>       string   failed sign-ins from one client address (rate-limiter-flexible's
 *                                        counter, any slot: one key per command); expires by itself
 * The delivery log of webhook `w` of company `c` (CONTRACT 3.1), in the company's slot like its webhooks:
 *   p:{t}:c:<c>:w:<w>:log               zset  deliveryId -> ms of its latest outcome (the latest N of any status)
 *   p:{t}:c:<c>:w:<w>:log:failed        zset  deliveryId -> ms, the latest N failed ones
 *   p:{t}:c:<c>:w:<w>:d:<id>            hash  one delivery's record (status, times, attempts); expires
 *   p:{t}:c:<c>:w:<w>:d:<id>:batch      string the dials of a failed delivery, for a resend; expires
 *   p:{t}:c:<c>:w:<w>:stats:<hour>      hash  outcome counters of one hour (hours since the epoch); expires
 *
 * Everything of a shard shares its `{t}` tag, so every script and MULTI touches one Cluster slot,
 * and a shard's streams and its delivery queue fail over together. On one Redis S = 1: same code.
 */
export interface ShardKeys {
  readonly shard: number;
  /** The hash tag, without braces. */
  readonly tag: string;
  enabledCompanies(): string;
  ready(): string;
  leases(): string;
  owners(): string;
  /** The record of a publisher's `idempotencyKey` in this shard (any printable ASCII after the tag is fine). */
  idempotency(idempotencyKey: string): string;
  /** BullMQ's `prefix` option for the shard's queue: its keys read `p:{t}:bull:<queue>:...`. */
  bullPrefix(): string;
}

export interface Keys {
  readonly prefix: string;
  readonly shards: number;
  /** Which shard a company belongs to. */
  shardOf(companySlug: string): number;
  shard(shard: number): ShardKeys;
  /** The keys of the company's shard. */
  shardOfCompany(companySlug: string): ShardKeys;
  /** Every shard, 0..S-1. */
  allShards(): readonly ShardKeys[];
  dials(companySlug: string): string;
  deadLetters(companySlug: string): string;
  webhooks(companySlug: string): string;
  /** A portal session of the company, by the SHA-256 hex of its token. */
  portalSession(companySlug: string, tokenHash: string): string;
  /** The company's portal generation: sessions made under an older one are revoked. */
  portalGeneration(companySlug: string): string;
  /** rate-limiter-flexible's `keyPrefix` for failed sign-ins; it appends `:<address>`. */
  authFailuresPrefix(): string;
  /** The delivery log of one webhook (all in the company's slot). */
  deliveryLog(companySlug: string, webhookId: string): DeliveryLogKeys;
  /** Where S and the layout version are stored. */
  layout(): string;
  /** Pub/sub channel on which a company newly ready wakes the batchers (message: the shard number). */
  wakeChannel(): string;
}

export interface DeliveryLogKeys {
  all(): string;
  failed(): string;
  record(deliveryId: string): string;
  /** What record keys start with: the log's script drops trimmed records by id. */
  recordPrefix(): string;
  batch(deliveryId: string): string;
  /** Counters of hour `hour` (whole hours since the epoch). */
  statsHour(hour: number): string;
}

export const DEFAULT_KEY_PREFIX = 'oiq';

/** The key layout this code reads and writes; stored beside S, checked by every process and the producer. */
export const KEY_LAYOUT_VERSION = 2;

/** Batchers read every company stream through this one consumer group. */
export const BATCHER_GROUP = 'batchers';

export function createKeys(prefix: string = DEFAULT_KEY_PREFIX, shards = 1): Keys {
  assertShards(shards);
  const all: ShardKeys[] = Array.from({ length: shards }, (_, k) => {
    const tag = shardTag(k, shards);
    const base = `${prefix}:{${tag}}`;
    return {
      shard: k,
      tag,
      enabledCompanies: () => `${base}:companies:enabled`,
      ready: () => `${base}:sched:ready`,
      leases: () => `${base}:sched:leases`,
      owners: () => `${base}:sched:owners`,
      idempotency: (idempotencyKey) => `${base}:idem:${idempotencyKey}`,
      bullPrefix: () => `${base}:bull`,
    };
  });
  const shardOfCompany = (c: string) => all[shardOf(c, shards)]!;
  const company = (c: string, suffix: string) => `${prefix}:{${shardOfCompany(c).tag}}:c:${c}:${suffix}`;
  return {
    prefix,
    shards,
    shardOf: (c) => shardOf(c, shards),
    shard: (k) => {
      const keys = all[k];
      if (keys === undefined) throw new RangeError(`no shard ${k} of ${shards}`);
      return keys;
    },
    shardOfCompany,
    allShards: () => all,
    dials: (c) => company(c, 'dials'),
    deadLetters: (c) => company(c, 'dead'),
    webhooks: (c) => company(c, 'webhooks'),
    portalSession: (c, tokenHash) => company(c, `portal:${tokenHash}`),
    portalGeneration: (c) => company(c, 'portal-gen'),
    authFailuresPrefix: () => `${prefix}:auth-fail`,
    deliveryLog: (c, w) => {
      const base = company(c, `w:${w}`);
      return {
        all: () => `${base}:log`,
        failed: () => `${base}:log:failed`,
        record: (id) => `${base}:d:${id}`,
        recordPrefix: () => `${base}:d:`,
        batch: (id) => `${base}:d:${id}:batch`,
        statsHour: (hour) => `${base}:stats:${hour}`,
      };
    },
    layout: () => `${prefix}:layout`,
    wakeChannel: () => `${prefix}:sched:wake`,
  };
}

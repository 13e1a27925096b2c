/**
 * Every Redis key of the system is built here.
 *
 * Layout (prefix `p`, default `oiq`, from KEY_PREFIX; `c` a company slug):
 *   p:{c}:dials            stream   the company's pending dials (one entry = one or more dials)
 *   p:{c}:dead             stream   entries the batcher could not use (poison), for operators
 *   p:{c}:webhooks         hash     webhook id -> webhook record (secret sealed)
 *   p:companies:enabled    set      companies with at least one enabled webhook
 *   p:sched:ready          zset     company -> ms since which it has dials waiting for a batcher
 *   p:sched:leases         zset     company -> ms at which a batcher's claim on it runs out
 *   p:sched:owners         hash     company -> token of the batcher holding the claim
 *   p:bull:<queue>:...     BullMQ   delivery jobs (BullMQ's own layout under the prefix `p:bull`)
 *
 * The keys of one company share the `{c}` hash tag so they sit in one Cluster slot. The global
 * index keys (enabled set, scheduler) are touched together with a company's keys by the producer's
 * and the store's scripts: on Redis Cluster those scripts must be split (see README, "Cluster").
 */
export interface Keys {
  readonly prefix: string;
  dials(companySlug: string): string;
  deadLetters(companySlug: string): string;
  webhooks(companySlug: string): string;
  enabledCompanies(): string;
  ready(): string;
  leases(): string;
  owners(): string;
  /** BullMQ's `prefix` option: its keys then read `p:bull:<queue>:...`. */
  bullPrefix(): string;
}

export const DEFAULT_KEY_PREFIX = 'oiq';

/** Batchers read every company stream through this one consumer group. */
export const BATCHER_GROUP = 'batchers';

export function createKeys(prefix: string = DEFAULT_KEY_PREFIX): Keys {
  const company = (c: string, suffix: string) => `${prefix}:{${c}}:${suffix}`;
  return {
    prefix,
    dials: (c) => company(c, 'dials'),
    deadLetters: (c) => company(c, 'dead'),
    webhooks: (c) => company(c, 'webhooks'),
    enabledCompanies: () => `${prefix}:companies:enabled`,
    ready: () => `${prefix}:sched:ready`,
    leases: () => `${prefix}:sched:leases`,
    owners: () => `${prefix}:sched:owners`,
    bullPrefix: () => `${prefix}:bull`,
  };
}

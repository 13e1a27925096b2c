import { COMPANY_SLUG_MAX_LENGTH } from '@outboundiq/core';

/** One row of the company slug table: what a publisher may send is what an operator may manage. */
export interface SlugCase {
  label: string;
  slug: string;
  /** Whether CONTRACT section 2 allows it (1-128 characters of `[A-Za-z0-9._-]`). */
  valid: boolean;
}

/** `length` characters of a slug, unique per `tag`, so rows never share a company. */
const slugOf = (tag: string, length: number): string => `${tag}-${'x'.repeat(length)}`.slice(0, length);

/** Every character the rule allows, in one slug that is not a dot segment. */
export const EVERY_SLUG_CHARACTER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-';

/**
 * The shared table of company slugs, run against both the producer (does it publish?) and the admin
 * API (can a webhook be managed?), so the two can never disagree again: the admin's router once cut
 * path parameters at 100 characters while the producer took 128. The boundaries of the length rule
 * (1, 100, 101, 128, 129) and every allowed character; rows marked invalid must be refused by both,
 * naming `companySlug`. The slugs `.` and `..` are valid too but left out: URL clients (fetch, curl,
 * fastify's inject) resolve them as dot segments, even spelt `%2E`, so no URL of theirs can name
 * such a company; only a client that sends the path as is reaches it.
 */
export const COMPANY_SLUG_CASES: readonly SlugCase[] = [
  { label: '1 character', slug: 'q', valid: true },
  { label: '100 characters', slug: slugOf('c100', 100), valid: true },
  { label: '101 characters (past fastify\'s default maxParamLength)', slug: slugOf('c101', 101), valid: true },
  { label: `${COMPANY_SLUG_MAX_LENGTH} characters (the longest)`, slug: slugOf('c128', COMPANY_SLUG_MAX_LENGTH), valid: true },
  { label: `${COMPANY_SLUG_MAX_LENGTH + 1} characters`, slug: slugOf('c129', COMPANY_SLUG_MAX_LENGTH + 1), valid: false },
  { label: 'every allowed character', slug: EVERY_SLUG_CHARACTER, valid: true },
  { label: 'one "_"', slug: '_', valid: true },
  { label: 'one "-"', slug: '-', valid: true },
  { label: 'dots among other characters', slug: '.acme..co.', valid: true },
  { label: 'empty', slug: '', valid: false },
  { label: 'a space', slug: 'acme co', valid: false },
  { label: 'a slash', slug: 'acme/co', valid: false },
  { label: 'a percent sign', slug: 'acme%co', valid: false },
  { label: 'a non-ASCII letter', slug: 'acmé', valid: false },
  { label: 'a plus sign', slug: 'acme+co', valid: false },
];

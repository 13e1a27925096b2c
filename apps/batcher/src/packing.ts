import { dialEventSchema, isCanonicalStoredDial } from '@outboundiq/core';

/** A stream entry as Redis returns it: id and flat field list. */
export interface StreamEntry {
  id: string;
  fields: string[];
}

/** A run of valid dials of one entry, as JSON text without the brackets, ready to splice. */
interface Piece {
  /** `<entry id>/<index of the piece in the entry>`: stable, so batches are too. */
  key: string;
  json: string;
  count: number;
  publishedAt: number;
}

export interface PoisonEntry {
  entryId: string;
  reason: string;
  raw: string;
}

export interface Batch {
  /** First and last piece keys: with the company and webhook they identify the delivery. */
  firstKey: string;
  lastKey: string;
  /** JSON array text of the dials. */
  dialsJson: string;
  count: number;
  firstPublishedAt: number;
}

export interface PackResult {
  batches: Batch[];
  poison: PoisonEntry[];
}

/**
 * Checks every entry of one read and packs its dials, in stream order, into batches of at most
 * `maxDials`. A pure function of its input: the same entries always give the same batches, which is
 * what lets a batcher that recovers a dead one's entries make the very same deliveries (same ids)
 * instead of second ones. Entries (or single dials) that are not valid dials of this company are
 * returned as poison and never block the others.
 */
export function packEntries(companySlug: string, entries: readonly StreamEntry[], maxDials: number): PackResult {
  const poison: PoisonEntry[] = [];
  const pieces: Piece[] = [];
  for (const entry of entries) {
    const parsed = parseEntry(companySlug, entry, maxDials);
    pieces.push(...parsed.pieces);
    poison.push(...parsed.poison);
  }
  return { batches: packPieces(pieces, maxDials), poison };
}

function parseEntry(companySlug: string, entry: StreamEntry, maxDials: number): { pieces: Piece[]; poison: PoisonEntry[] } {
  const field = (name: string) => {
    for (let i = 0; i < entry.fields.length; i += 2) if (entry.fields[i] === name) return entry.fields[i + 1];
    return undefined;
  };
  const raw = field('d');
  const publishedAt = Number(field('t'));
  const reject = (reason: string) => ({ pieces: [], poison: [{ entryId: entry.id, reason, raw: raw ?? JSON.stringify(entry.fields) }] });
  if (raw === undefined) return reject('entry has no "d" field');
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return reject('"d" is not JSON');
  }
  if (!Array.isArray(value) || value.length === 0) return reject('"d" is not a non-empty array of dials');
  const at = Number.isFinite(publishedAt) ? publishedAt : Date.now();

  const valid: unknown[] = [];
  const poison: PoisonEntry[] = [];
  value.forEach((dial, index) => {
    // What the producer wrote passes the hand-written check; anything else is judged (and worded) by zod.
    const result = isCanonicalStoredDial(dial) ? { success: true as const, data: dial } : dialEventSchema.safeParse(dial);
    let reason: string | null = null;
    if (!result.success) reason = `dial ${index} is not a valid dial: ${result.error.issues.map((i) => `${i.path.join('.') || '(root)'} ${i.message}`).join('; ')}`;
    else if (result.data.companySlug !== companySlug) reason = `dial ${index} belongs to company ${result.data.companySlug}, not ${companySlug}`;
    if (reason !== null) poison.push({ entryId: entry.id, reason, raw: JSON.stringify(dial) ?? 'undefined' });
    else if (result.success) valid.push(result.data);
  });
  // Serialised again from the checked values, so a receiver gets canonical JSON whatever was written.
  const pieces: Piece[] = [];
  for (let i = 0; i < valid.length; i += maxDials) {
    const chunk = valid.slice(i, i + maxDials);
    pieces.push({ key: `${entry.id}/${i / maxDials}`, json: chunk.map((d) => JSON.stringify(d)).join(','), count: chunk.length, publishedAt: at });
  }
  return { pieces, poison };
}

function packPieces(pieces: readonly Piece[], maxDials: number): Batch[] {
  const batches: Batch[] = [];
  let current: Piece[] = [];
  let count = 0;
  const close = () => {
    if (current.length === 0) return;
    batches.push({
      firstKey: current[0]!.key,
      lastKey: current[current.length - 1]!.key,
      dialsJson: `[${current.map((p) => p.json).join(',')}]`,
      count,
      firstPublishedAt: Math.min(...current.map((p) => p.publishedAt)),
    });
    current = [];
    count = 0;
  };
  for (const piece of pieces) {
    if (count + piece.count > maxDials) close();
    current.push(piece);
    count += piece.count;
  }
  close();
  return batches;
}

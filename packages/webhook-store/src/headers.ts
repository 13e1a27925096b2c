import { OiqError, isMaskedHeaderValue, maskHeaderValue, type SecretBox } from '@outboundiq/core';

/**
 * Custom header values at rest (CONTRACT section 3): each sealed like the signing secret, bound to
 * its webhook and header name, beside its masked form, which is all an answer ever shows. The admin
 * never opens a sealed value; only the sender does, when it sends.
 *
 * A record written before values were sealed holds `headers` in clear and no `sealedHeaders`: it is
 * read as such, and sealed by its next write.
 */
export interface RecordHeaders {
  /** Masked forms; in clear on a record written before values were sealed. */
  headers: Record<string, string>;
  /** Header name -> sealed value; absent on a record written before values were sealed. */
  sealedHeaders?: Record<string, string>;
}

/** A header value the API cannot take; `header` is its name, for `headers.<name>`. */
export class HeaderValueError extends OiqError {
  constructor(
    readonly header: string,
    message: string,
  ) {
    super(message);
  }
}

/** Names are case-insensitive, so the binding is too: renaming X-Key to x-key keeps the value. */
const context = (webhookId: string, name: string) => `${webhookId}:header:${name.toLowerCase()}`;

const isLegacy = (record: RecordHeaders) => record.sealedHeaders === undefined;

/** The headers as every answer shows them. */
export function maskedHeaders(record: RecordHeaders): Record<string, string> {
  if (!isLegacy(record)) return record.headers;
  return Object.fromEntries(Object.entries(record.headers).map(([name, value]) => [name, maskHeaderValue(value)]));
}

/** The values in clear, for the sender at send time only. */
export function openHeaders(box: SecretBox, webhookId: string, record: RecordHeaders): Record<string, string> {
  if (isLegacy(record)) return record.headers;
  return Object.fromEntries(Object.entries(record.sealedHeaders!).map(([name, sealed]) => [name, box.open(sealed, context(webhookId, name))]));
}

/** The record's headers as stored now, sealing clear ones (a record written before sealing). */
export function sealedForm(box: SecretBox, webhookId: string, record: RecordHeaders): Required<RecordHeaders> {
  if (!isLegacy(record)) return { headers: record.headers, sealedHeaders: record.sealedHeaders! };
  return resolveHeaders(box, webhookId, record.headers, null);
}

/**
 * The stored form of a new header set. A value sent back exactly as the masked form it was shown
 * keeps the stored value of that name (case-insensitive); a masked form with no such stored value,
 * or another one's, is refused naming the header.
 */
export function resolveHeaders(box: SecretBox, webhookId: string, input: Record<string, string>, stored: RecordHeaders | null): Required<RecordHeaders> {
  const headers: Record<string, string> = {};
  const sealedHeaders: Record<string, string> = {};
  const current = stored === null ? null : sealedForm(box, webhookId, stored);
  for (const [name, value] of Object.entries(input)) {
    if (!isMaskedHeaderValue(value)) {
      headers[name] = maskHeaderValue(value);
      sealedHeaders[name] = box.seal(value, context(webhookId, name));
      continue;
    }
    const storedName = current === null ? undefined : Object.keys(current.headers).find((n) => n.toLowerCase() === name.toLowerCase());
    if (storedName === undefined) {
      throw new HeaderValueError(name, 'is a masked value, but this webhook has no value stored under this header name: send the value itself');
    }
    if (current!.headers[storedName] !== value) {
      throw new HeaderValueError(name, 'is a masked value that is not the one shown for this header: send the value itself, or its masked form unchanged');
    }
    headers[name] = value;
    sealedHeaders[name] = current!.sealedHeaders[storedName]!;
  }
  return { headers, sealedHeaders };
}

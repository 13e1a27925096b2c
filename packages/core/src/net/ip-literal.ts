import { isIP, SocketAddress } from 'node:net';

/** An IP address read from text, in one canonical spelling. */
export interface IpLiteral {
  readonly family: 4 | 6;
  /** Dotted quad, or Node's (inet_ntop) IPv6 spelling without brackets or zone. */
  readonly address: string;
  /** 4 or 16 bytes, network order. */
  readonly bytes: Uint8Array;
  /** The `%zone` of a scoped IPv6 address, if any. */
  readonly zone: string | null;
}

/**
 * Reads an IP literal in any spelling a resolver or a connect call might accept: dotted quad,
 * inet_aton's shorthand (`127.1`, `0x7f.1`, `2130706433`, `017700000001`), a trailing dot,
 * IPv6 with or without brackets, an embedded dotted quad, a `%zone`. Null when it is no IP literal
 * (a name), never an exception: recognising too much is safe, because whatever is recognised is judged.
 */
export function parseIpLiteral(text: string): IpLiteral | null {
  if (typeof text !== 'string' || text.length === 0 || text.length > 256) return null;
  const bracketed = text.startsWith('[') && text.endsWith(']');
  if (bracketed || text.includes(':')) return parseIpv6(bracketed ? text.slice(1, -1) : text);
  return parseIpv4(text);
}

function parseIpv6(text: string): IpLiteral | null {
  const percent = text.indexOf('%');
  const zone = percent === -1 ? null : text.slice(percent + 1);
  const bare = percent === -1 ? text : text.slice(0, percent);
  if (zone === '' || isIP(bare) !== 6) return null;
  const bytes = ipv6Bytes(bare);
  const address = new SocketAddress({ address: bare, family: 'ipv6' }).address;
  return { family: 6, address, bytes, zone };
}

/** Only for text `isIP` has already accepted as IPv6, so the shape is known to be valid. */
function ipv6Bytes(text: string): Uint8Array {
  const groupsOf = (part: string): number[] =>
    part === ''
      ? []
      : part.split(':').flatMap((piece) => {
          if (!piece.includes('.')) return [Number.parseInt(piece, 16)];
          const [a = 0, b = 0, c = 0, d = 0] = piece.split('.').map(Number);
          return [(a << 8) | b, (c << 8) | d];
        });
  const gap = text.indexOf('::');
  const head = groupsOf(gap === -1 ? text : text.slice(0, gap));
  const tail = gap === -1 ? [] : groupsOf(text.slice(gap + 2));
  const groups = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  const bytes = new Uint8Array(16);
  groups.forEach((group, i) => {
    bytes[2 * i] = group >> 8;
    bytes[2 * i + 1] = group & 0xff;
  });
  return bytes;
}

// inet_aton parts: hexadecimal (0x..., "0x" alone is 0), octal (leading 0) or decimal.
const IPV4_PART = /^(?:0x[0-9a-f]*|0[0-7]*|[1-9][0-9]*)$/i;

function parseIpv4(text: string): IpLiteral | null {
  const trimmed = text.endsWith('.') ? text.slice(0, -1) : text;
  const parts = trimmed.split('.');
  if (parts.length > 4 || !parts.every((p) => IPV4_PART.test(p))) return null;
  const numbers = parts.map(partValue);
  // Every part but the last is one byte; the last fills the bytes that are left (inet_aton).
  const lastMax = 2 ** (8 * (5 - numbers.length)) - 1;
  if (numbers.slice(0, -1).some((n) => n > 255) || numbers[numbers.length - 1]! > lastMax) return null;
  let value = numbers[numbers.length - 1]!;
  numbers.slice(0, -1).forEach((n, i) => {
    value += n * 2 ** (8 * (3 - i));
  });
  const bytes = Uint8Array.of(value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff);
  return { family: 4, address: bytes.join('.'), bytes, zone: null };
}

function partValue(part: string): number {
  if (/^0x/i.test(part)) return part.length === 2 ? 0 : Number.parseInt(part.slice(2), 16);
  if (part.length > 1 && part.startsWith('0')) return Number.parseInt(part.slice(1), 8);
  return Number.parseInt(part, 10);
}

/** The IPv4 address in four bytes of `bytes` from `offset`, optionally inverted (Teredo's client field). */
export function ipv4At(bytes: Uint8Array, offset: number, invert = false): string {
  const mask = invert ? 0xff : 0;
  return Array.from(bytes.subarray(offset, offset + 4), (b) => b ^ mask).join('.');
}

/**
 * How a custom header value is shown in every answer of the API (CONTRACT section 3): `••••` and
 * the value's last 4 characters when it has 12 or more, else `••••` alone. No imports, so the
 * Settings page can take it (`@outboundiq/core/header-mask`) without pulling anything else.
 */
export const HEADER_MASK = '••••';

/** Characters are counted as code points, so no value is ever cut inside one. */
export function maskHeaderValue(value: string): string {
  const chars = [...value];
  return chars.length >= 12 ? HEADER_MASK + chars.slice(-4).join('') : HEADER_MASK;
}

/**
 * Whether a value is one of the forms maskHeaderValue gives. A real header value never is: `•` is
 * above U+00FF, which no header value may hold (webhook.ts), so the two can never be confused.
 */
export function isMaskedHeaderValue(value: string): boolean {
  if (!value.startsWith(HEADER_MASK)) return false;
  const rest = [...value.slice(HEADER_MASK.length)];
  return rest.length === 0 || rest.length === 4;
}

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** `sha256=<lowercase hex HMAC-SHA256 of the raw body>`, keyed by the secret's UTF-8 bytes (the doc's recipe). */
export function signBody(body: string | Buffer, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

export function verifySignature(body: string | Buffer, header: string | undefined, secret: string): boolean {
  if (!header?.startsWith('sha256=')) return false;
  const expected = Buffer.from(signBody(body, secret));
  const provided = Buffer.from(header);
  return expected.length === provided.length && timingSafeEqual(expected, provided);
}

/** A fresh signing secret as shown to the customer once: `whsec_` + 32 random bytes, base64url. */
export function generateSigningSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

// The verification snippets of webhooks-doc.txt ("Verifying the signature"), verbatim: only line
// breaks and indentation are added (the doc's page flattens the Node.js one onto one line).
// packages/system-tests/test/browser checks them against testkit/doc-snippets and runs them on a
// real delivery.

export const NODE_SNIPPET = `import { createHmac, timingSafeEqual } from "node:crypto";

function verifySignature(rawBody, header, secret) {
  if (!header || !header.startsWith("sha256=")) return false;
  const expected = createHmac("sha256", secret).update(rawBody).digest("hex");
  const provided = header.slice("sha256=".length);
  const a = Buffer.from(expected, "hex");
  const b = Buffer.from(provided, "hex");
  if (a.length !== b.length) return false;
  return timingSafeEqual(a, b);
}`;

export const PYTHON_SNIPPET = `import hmac, hashlib

def verify_signature(raw_body: bytes, header: str, secret: str) -> bool:
    if not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(secret.encode(), raw_body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header[len("sha256="):])`;

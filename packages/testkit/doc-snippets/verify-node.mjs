// The Node.js snippet of webhooks-doc.txt ("Verifying the signature"), verbatim between the markers.
// --- verbatim ---
import { createHmac, timingSafeEqual } from "node:crypto";
function verifySignature(rawBody, header, secret) { if (!header || !header.startsWith("sha256=")) return false; const expected = createHmac("sha256", secret).update(rawBody).digest("hex"); const provided = header.slice("sha256=".length); const a = Buffer.from(expected, "hex"); const b = Buffer.from(provided, "hex"); if (a.length !== b.length) return false; return timingSafeEqual(a, b);}
// --- end verbatim ---
export { verifySignature };

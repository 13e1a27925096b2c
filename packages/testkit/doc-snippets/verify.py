# The Python snippet of webhooks-doc.txt ("Verifying the signature"), verbatim between the markers,
# then a harness: reads JSON lines {"body": <base64>, "header": ..., "secret": ...} and prints true/false.
# --- verbatim ---
import hmac, hashlib

def verify_signature(raw_body: bytes, header: str, secret: str) -> bool:
    if not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(secret.encode(), raw_body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header[len("sha256="):])
# --- end verbatim ---

import base64, json, sys

for line in sys.stdin:
    case = json.loads(line)
    print("true" if verify_signature(base64.b64decode(case["body"]), case["header"], case["secret"]) else "false")

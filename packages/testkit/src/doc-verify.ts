import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { requireTools } from './tools.js';

const snippets = fileURLToPath(new URL('../doc-snippets/', import.meta.url));

export interface SignedRequest {
  body: Buffer;
  header: string | undefined;
  secret: string;
}

/** Runs the doc's Node.js snippet, verbatim, on each request. */
export async function verifyWithDocNode(requests: readonly SignedRequest[]): Promise<boolean[]> {
  const { verifySignature } = (await import(`${snippets}verify-node.mjs`)) as {
    verifySignature: (body: Buffer, header: string | undefined, secret: string) => boolean;
  };
  return requests.map((r) => verifySignature(r.body, r.header, r.secret));
}

/** Runs the doc's Python snippet, verbatim, with python3, on each request. */
export function verifyWithDocPython(requests: readonly SignedRequest[]): boolean[] {
  requireTools(['python3'], "it runs the doc's Python snippet");
  const input = requests.map((r) => JSON.stringify({ body: r.body.toString('base64'), header: r.header ?? '', secret: r.secret })).join('\n');
  const out = execFileSync('python3', [`${snippets}verify.py`], { input: `${input}\n`, encoding: 'utf8' });
  return out.trim().split('\n').filter(Boolean).map((line) => line === 'true');
}

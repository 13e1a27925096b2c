// What a kubectl command of infra/README.md names, so a command that needs a live cluster can still
// be checked against the manifests it would act on: its namespace, the objects it names
// (`deploy/oiq-batcher`, `get hpa oiq-sender`), its label selector, and the Secret keys it creates.
import type { Doc } from './kustomize.js';

const KINDS: Record<string, string> = { deploy: 'Deployment', deployment: 'Deployment', svc: 'Service', service: 'Service', hpa: 'HorizontalPodAutoscaler', pods: 'Pod' };

export interface KubectlTarget {
  namespace: string | undefined;
  objects: { kind: string; name: string }[];
  selector: Record<string, string>;
}

export function kubectlTarget(command: string): KubectlTarget {
  const words = command.split('|')[0]!.trim().split(/\s+/);
  const namespace = words[words.indexOf('-n') + 1];
  const objects: { kind: string; name: string }[] = [];
  const selector: Record<string, string> = {};
  for (let i = 1; i < words.length; i++) {
    const word = words[i]!;
    const slash = /^([a-z]+)\/([\w.-]+)$/.exec(word);
    if (slash && KINDS[slash[1]!]) objects.push({ kind: KINDS[slash[1]!]!, name: slash[2]! });
    if (word === 'get' && KINDS[words[i + 1]!] && words[i + 2] && !words[i + 2]!.startsWith('-')) objects.push({ kind: KINDS[words[i + 1]!]!, name: words[i + 2]! });
    if (word === '-l') for (const pair of words[i + 1]!.split(',')) selector[pair.split('=')[0]!] = pair.split('=')[1]!;
  }
  return { namespace: words.includes('-n') ? namespace : undefined, objects, selector };
}

/** The keys `kubectl create secret generic ... --from-literal=KEY=...` puts in the Secret. */
export function literalKeys(command: string): string[] {
  return [...command.matchAll(/--from-literal=([A-Z_]+)=/g)].map((m) => m[1]!);
}

/** The keys of `secret` that the overlay's Deployments read and cannot do without. */
export function requiredSecretKeys(docs: Doc[], secret: string): string[] {
  const keys = new Set<string>();
  for (const doc of docs.filter((d) => d.kind === 'Deployment')) {
    for (const container of doc.spec.template.spec.containers as Doc[]) {
      for (const env of (container.env ?? []) as Doc[]) {
        const ref = env.valueFrom?.secretKeyRef;
        if (ref && String(ref.name).startsWith(secret) && !ref.optional) keys.add(ref.key);
      }
    }
  }
  return [...keys].sort();
}

/** Pod templates whose labels match `selector`, by Deployment name. */
export function podsMatching(docs: Doc[], selector: Record<string, string>): string[] {
  return docs
    .filter((d) => d.kind === 'Deployment' && Object.entries(selector).every(([k, v]) => d.spec.template.metadata.labels?.[k] === v))
    .map((d) => d.metadata.name as string);
}

import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';

/**
 * A small kustomize, for exactly what infra/k8s uses: resources (files and directories),
 * components, configMap/secret generators (literals, `behavior: merge`), patches (strategic merge,
 * including `$patch: delete`, and JSON 6902 with a target), namespace, labels (includeTemplates
 * too) and images. Generated names get no hash suffix. Where a real kustomize is installed (`kubectl kustomize`), the tests
 * render with both and compare, so this stays honest.
 */
export type Doc = Record<string, any>;

export function loadYaml(path: string): Doc[] {
  return parseYaml(readFileSync(path, 'utf8'), path);
}

export function parseYaml(text: string, source = 'yaml'): Doc[] {
  return parseAllDocuments(text).flatMap((doc) => {
    if (doc.errors.length > 0) throw new Error(`${source}: ${doc.errors.map((e) => e.message).join('; ')}`);
    const value = doc.toJS() as Doc | null;
    return value === null ? [] : [value];
  });
}

export function kustomize(dir: string): Doc[] {
  const k = loadYaml(join(dir, 'kustomization.yaml'))[0]!;
  let docs: Doc[] = [];
  for (const entry of (k.resources ?? []) as string[]) {
    const path = resolve(dir, entry);
    docs.push(...(statSync(path).isDirectory() ? kustomize(path) : loadYaml(path)));
  }
  docs = generate(docs, k, 'configMapGenerator', 'ConfigMap');
  docs = generate(docs, k, 'secretGenerator', 'Secret');
  for (const entry of (k.components ?? []) as string[]) docs = applyComponent(docs, resolve(dir, entry));
  docs = applyPatches(docs, dir, k.patches ?? []);
  if (k.namespace) {
    for (const doc of docs) if (doc.kind !== 'Namespace') doc.metadata.namespace = k.namespace;
  }
  for (const { pairs, includeTemplates } of (k.labels ?? []) as { pairs: Record<string, string>; includeTemplates?: boolean }[]) {
    for (const doc of docs) {
      doc.metadata.labels = { ...doc.metadata.labels, ...pairs };
      const template = doc.spec?.template;
      if (includeTemplates && template) template.metadata = { ...template.metadata, labels: { ...template.metadata?.labels, ...pairs } };
    }
  }
  for (const image of (k.images ?? []) as { name: string; newName?: string; newTag?: string }[]) {
    for (const container of docs.flatMap(containersOf)) {
      const [name, tag] = splitImage(container.image);
      if (name !== image.name) continue;
      container.image = `${image.newName ?? name}${image.newTag ? `:${image.newTag}` : tag ? `:${tag}` : ''}`;
    }
  }
  return docs;
}

function applyComponent(docs: Doc[], dir: string): Doc[] {
  const c = loadYaml(join(dir, 'kustomization.yaml'))[0]!;
  if (c.kind !== 'Component') throw new Error(`${dir} is not a Component`);
  const added = ((c.resources ?? []) as string[]).flatMap((r) => loadYaml(resolve(dir, r)));
  return applyPatches([...docs, ...added], dir, c.patches ?? []);
}

function generate(docs: Doc[], k: Doc, field: string, kind: 'ConfigMap' | 'Secret'): Doc[] {
  for (const gen of (k[field] ?? []) as { name: string; behavior?: string; literals?: string[] }[]) {
    const data: Record<string, string> = {};
    for (const literal of gen.literals ?? []) {
      const at = literal.indexOf('=');
      const value = literal.slice(at + 1);
      data[literal.slice(0, at)] = kind === 'Secret' ? Buffer.from(value).toString('base64') : value;
    }
    const existing = docs.find((d) => d.kind === kind && d.metadata.name === gen.name);
    if (gen.behavior === 'merge' || gen.behavior === 'replace') {
      if (!existing) throw new Error(`${kind} ${gen.name}: nothing to ${gen.behavior}`);
      existing.data = gen.behavior === 'merge' ? { ...existing.data, ...data } : data;
    } else {
      if (existing) throw new Error(`${kind} ${gen.name} generated twice`);
      docs.push({ apiVersion: 'v1', kind, metadata: { name: gen.name }, ...(kind === 'Secret' ? { type: 'Opaque' } : {}), data });
    }
  }
  return docs;
}

interface Patch {
  path?: string;
  patch?: string;
  target?: { group?: string; kind?: string; name?: string };
}

function applyPatches(docs: Doc[], dir: string, patches: Patch[]): Doc[] {
  for (const p of patches) {
    const text = p.path ? readFileSync(resolve(dir, p.path), 'utf8') : p.patch!;
    const parsed = parseYaml(text, p.path ?? 'inline patch');
    if (Array.isArray(parsed[0])) {
      if (!p.target) throw new Error('a JSON 6902 patch needs a target');
      const targets = docs.filter((d) => matches(d, p.target!));
      if (targets.length === 0) throw new Error(`patch target ${JSON.stringify(p.target)} matches nothing`);
      for (const doc of targets) for (const op of parsed[0] as Doc[]) applyJsonPatch(doc, op);
      continue;
    }
    for (const patch of parsed) {
      const target = docs.find((d) => d.kind === patch.kind && d.metadata.name === patch.metadata.name);
      if (!target) throw new Error(`patch for ${patch.kind} ${patch.metadata.name} matches nothing`);
      if (patch.$patch === 'delete') docs = docs.filter((d) => d !== target);
      else strategicMerge(target, patch);
    }
  }
  return docs;
}

function matches(doc: Doc, target: NonNullable<Patch['target']>): boolean {
  const group = String(doc.apiVersion).includes('/') ? String(doc.apiVersion).split('/')[0] : '';
  return (target.kind === undefined || doc.kind === target.kind)
    && (target.name === undefined || doc.metadata.name === target.name)
    && (target.group === undefined || group === target.group);
}

/**
 * Maps merge; lists of objects with a `name` merge by name (containers, env, volumes, ports); other
 * lists are replaced. A merged list holds the patch's items first, in the patch's order, then the
 * target's other items in theirs: the order kustomize's kyaml merge gives (a patch adding an env
 * variable puts it, and the ones it changes, before the untouched ones).
 */
export function strategicMerge(target: Doc, patch: Doc): Doc {
  for (const [key, value] of Object.entries(patch)) {
    const current = target[key];
    if (isObject(value) && isObject(current)) strategicMerge(current, value);
    else if (Array.isArray(value) && Array.isArray(current) && value.every((v) => isObject(v) && typeof v.name === 'string')) {
      const patched = value.map((item: Doc) => {
        const existing = current.find((c: Doc) => c.name === item.name);
        return existing ? strategicMerge(existing, item) : structuredClone(item);
      });
      const names = new Set(value.map((item: Doc) => item.name));
      target[key] = [...patched, ...current.filter((c: Doc) => !names.has(c.name))];
    } else target[key] = structuredClone(value);
  }
  return target;
}

function applyJsonPatch(doc: Doc, op: Doc): void {
  const parts = String(op.path).split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  const last = parts.pop()!;
  let node: any = doc;
  for (const part of parts) {
    node = node?.[part];
    if (node === undefined) throw new Error(`JSON patch path ${op.path} does not exist`);
  }
  if (op.op === 'replace' && !(last in node)) throw new Error(`JSON patch replace: ${op.path} does not exist`);
  if (op.op === 'replace' || op.op === 'add') node[last] = structuredClone(op.value);
  else if (op.op === 'remove') delete node[last];
  else throw new Error(`JSON patch op ${op.op} not supported here`);
}

export function containersOf(doc: Doc): Doc[] {
  const spec = doc.spec?.template?.spec;
  return spec ? [...(spec.initContainers ?? []), ...(spec.containers ?? [])] : [];
}

function splitImage(image: string): [string, string | undefined] {
  const at = image.lastIndexOf(':');
  return at > image.lastIndexOf('/') ? [image.slice(0, at), image.slice(at + 1)] : [image, undefined];
}

const isObject = (v: unknown): v is Doc => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `kubectl kustomize <dir>` when kubectl is installed, else undefined. */
export function realKustomize(dir: string, run: (cmd: string, args: string[]) => string | undefined): Doc[] | undefined {
  const out = run('kubectl', ['kustomize', dir]);
  return out === undefined ? undefined : parseYaml(out, `kubectl kustomize ${dir}`);
}

export const repoPath = (...parts: string[]) => join(dirname(new URL(import.meta.url).pathname), '..', '..', '..', ...parts);
export const fileExists = (path: string) => existsSync(path);

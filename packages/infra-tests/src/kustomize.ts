import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

/**
 * The manifests as the cluster gets them: rendered by the real kustomize inside `kubectl`
 * (`kubectl kustomize <dir>`, what `kubectl apply -k` runs), never by a copy of its rules, which
 * would agree with itself while disagreeing with the cluster. No kubectl is an error, not a skip:
 * a suite that passes without rendering anything proves nothing.
 */
export type Doc = Record<string, any>;

/** Overridable for a kubectl that is not on PATH. */
const KUBECTL = process.env.KUBECTL ?? 'kubectl';
/** Kustomize 4 (kubectl < 1.27) merges lists and orders output differently; we test against 5. */
const KUSTOMIZE_MAJOR = 5;

const INSTALL_HINT =
  'the infra tests render infra/k8s with `kubectl kustomize` (kubectl 1.27 or later, which carries kustomize v5). ' +
  'Install kubectl (`.ci/run` does it where it is missing), or set KUBECTL to its path.';

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

/** Runs a command and returns its stdout, throwing as execFileSync does (a stand-in in this module's own tests). */
export type Run = (cmd: string, args: string[]) => string;

const runCommand: Run = (cmd, args) => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });

/** The kustomize version inside kubectl, checked once; throws naming what to install when there is none. */
export function checkKubectl(run: Run = runCommand): string {
  let out: string;
  try {
    out = run(KUBECTL, ['version', '--client', '--output=json']);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(code === 'ENOENT' ? `${KUBECTL} not found: ${INSTALL_HINT}` : `\`${KUBECTL} version --client\` failed (${stderrOf(err)}): ${INSTALL_HINT}`);
  }
  const version = String((JSON.parse(out) as { kustomizeVersion?: unknown }).kustomizeVersion ?? '');
  if (Number(/^v?(\d+)\./.exec(version)?.[1]) !== KUSTOMIZE_MAJOR) {
    throw new Error(`${KUBECTL} carries kustomize ${version || '(none)'}, not v${KUSTOMIZE_MAJOR}: ${INSTALL_HINT}`);
  }
  return version;
}

let checked: string | undefined;
const rendered = new Map<string, Doc[]>();

/**
 * `kubectl kustomize <dir>`, parsed. Rendered once per directory and handed out as a fresh copy,
 * so a test that changes what it got cannot change what the next one sees.
 */
export function kustomize(dir: string): Doc[] {
  checked ??= checkKubectl();
  if (!rendered.has(dir)) {
    let out: string;
    try {
      out = runCommand(KUBECTL, ['kustomize', dir]);
    } catch (err) {
      throw new Error(`\`${KUBECTL} kustomize ${dir}\` failed: ${stderrOf(err)}`);
    }
    rendered.set(dir, parseYaml(out, `${KUBECTL} kustomize ${dir}`));
  }
  return structuredClone(rendered.get(dir)!);
}

function stderrOf(err: unknown): string {
  const stderr = (err as { stderr?: unknown }).stderr;
  return (typeof stderr === 'string' && stderr.trim() !== '' ? stderr : (err as Error).message).trim();
}

export function containersOf(doc: Doc): Doc[] {
  const spec = doc.spec?.template?.spec;
  return spec ? [...(spec.initContainers ?? []), ...(spec.containers ?? [])] : [];
}

/** The repository root (this file is packages/infra-tests/src/kustomize.ts). */
export const repoPath = (...parts: string[]) => join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', ...parts);
export const fileExists = (path: string) => existsSync(path);

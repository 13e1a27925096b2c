import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { posix } from 'node:path';
import ts from 'typescript';
import { parse } from 'yaml';

/**
 * The walls of the repo (STYLE.md, "Walls"): `packages/` never import `apps/`, apps never import
 * each other, and a workspace imports only the workspace packages its package.json declares. An
 * import is any `import`/`export ... from`, `import()` or `require()` that TypeScript's own scanner
 * finds (so comments and code inside strings do not count), by package name or by a relative path
 * that lands in another workspace.
 */
export type Kind = 'app' | 'package' | 'scripts';

export interface Workspace {
  name: string;
  /** Repo-relative, POSIX separators: `packages/core`. */
  dir: string;
  kind: Kind;
  /** Every dependency its package.json names (dependencies, dev, peer, optional). */
  declared: readonly string[];
}

export interface SourceFile {
  /** Repo-relative, POSIX separators. */
  path: string;
  text: string;
}

export interface Repo {
  workspaces: readonly Workspace[];
  files: readonly SourceFile[];
}

export type Rule = 'package-imports-app' | 'app-imports-app' | 'undeclared';

export interface Violation {
  rule: Rule;
  /** The importing workspace's name. */
  from: string;
  /** The imported workspace's name. */
  to: string;
  file: string;
  specifier: string;
}

/**
 * A known violation let through for now, with why: one file (or package.json) reaching one
 * workspace, so the same reach from any other file still fails. One that no longer happens is
 * reported too.
 */
export interface Allowance {
  file: string;
  to: string;
  reason: string;
}

const SOURCE = /\.(?:[cm]?[jt]s|tsx)$/;
const SKIPPED_DIRS = new Set(['node_modules', 'dist']);
const DEPENDENCY_FIELDS = ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies'] as const;

/** The workspaces pnpm-workspace.yaml lists (`dir` or `dir/*`), and every source file in them. */
export function loadRepo(root: string): Repo {
  const globs = (parse(readFileSync(posix.join(root, 'pnpm-workspace.yaml'), 'utf8')) as { packages: string[] }).packages;
  const dirs = globs.flatMap((glob) => {
    if (!glob.endsWith('/*')) return [glob];
    const parent = glob.slice(0, -2);
    return readdirSync(posix.join(root, parent)).map((name) => `${parent}/${name}`);
  });
  const workspaces = dirs
    .filter((dir) => existsSync(posix.join(root, dir, 'package.json')))
    .map((dir): Workspace => {
      const pkg = JSON.parse(readFileSync(posix.join(root, dir, 'package.json'), 'utf8')) as Record<string, unknown>;
      const declared = DEPENDENCY_FIELDS.flatMap((field) => Object.keys((pkg[field] ?? {}) as object));
      return { name: String(pkg.name), dir, kind: kindOf(dir), declared };
    });
  const files = workspaces.flatMap((w) => walk(root, w.dir)).map((path) => ({ path, text: readFileSync(posix.join(root, path), 'utf8') }));
  return { workspaces, files };
}

function kindOf(dir: string): Kind {
  if (dir.startsWith('apps/')) return 'app';
  if (dir.startsWith('packages/')) return 'package';
  return 'scripts';
}

function walk(root: string, dir: string): string[] {
  return readdirSync(posix.join(root, dir)).flatMap((name) => {
    const path = `${dir}/${name}`;
    if (statSync(posix.join(root, path)).isDirectory()) return SKIPPED_DIRS.has(name) || name.startsWith('.') ? [] : walk(root, path);
    return SOURCE.test(name) ? [path] : [];
  });
}

/** Module specifiers `text` imports, as TypeScript's scanner sees them. */
export function importsOf(text: string): string[] {
  return ts.preProcessFile(text, true, true).importedFiles.map((f) => f.fileName);
}

export function findViolations(repo: Repo): Violation[] {
  const byName = new Map(repo.workspaces.map((w) => [w.name, w]));
  const owner = (path: string) => repo.workspaces.find((w) => path === w.dir || path.startsWith(`${w.dir}/`));
  const violations: Violation[] = [];
  const judge = (from: Workspace, to: Workspace, file: string, specifier: string, declaredHere: boolean) => {
    if (to === from) return;
    const v = (rule: Rule) => violations.push({ rule, from: from.name, to: to.name, file, specifier });
    if (from.kind === 'package' && to.kind === 'app') v('package-imports-app');
    if (from.kind === 'app' && to.kind === 'app') v('app-imports-app');
    if (!declaredHere && !from.declared.includes(to.name)) v('undeclared');
  };
  for (const from of repo.workspaces) {
    // Declaring an app is the first half of importing one.
    for (const name of from.declared) {
      const to = byName.get(name);
      if (to) judge(from, to, `${from.dir}/package.json`, name, true);
    }
  }
  for (const file of repo.files) {
    const from = owner(file.path);
    if (!from) continue;
    for (const specifier of importsOf(file.text)) {
      const to = specifier.startsWith('.')
        ? owner(posix.normalize(posix.join(posix.dirname(file.path), specifier)))
        : byName.get(packageName(specifier));
      if (to) judge(from, to, file.path, specifier, false);
    }
  }
  return violations;
}

/** `@scope/name/sub/path` -> `@scope/name`; `name/sub` -> `name`. */
function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

/** The violations no allowance covers, and the allowances nothing needs any more. */
export function checkWalls(violations: readonly Violation[], allowances: readonly Allowance[]): { unexplained: Violation[]; stale: Allowance[] } {
  const covers = (a: Allowance, v: Violation) => a.file === v.file && a.to === v.to;
  return {
    unexplained: violations.filter((v) => !allowances.some((a) => covers(a, v))),
    stale: allowances.filter((a) => !violations.some((v) => covers(a, v))),
  };
}

export function describeViolation(v: Violation): string {
  const what = { 'package-imports-app': 'a package imports an app', 'app-imports-app': 'an app imports another app', undeclared: 'imports a workspace package its package.json does not declare' }[v.rule];
  return `${v.file}: ${v.from} -> ${v.to} (${JSON.stringify(v.specifier)}): ${what}`;
}

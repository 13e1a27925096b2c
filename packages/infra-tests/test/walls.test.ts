import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { repoPath } from '../src/kustomize.js';
import { checkWalls, describeViolation, findViolations, importsOf, loadRepo, type Allowance, type Repo, type Workspace } from '../src/walls.js';

/**
 * Known violations, each with its reason. Nothing else gets through, and an entry that stops being
 * needed fails too, so the list only ever shrinks.
 */
const ALLOWED: Allowance[] = [];

describe('the walls of this repo', () => {
  const repo = loadRepo(repoPath());
  const violations = findViolations(repo);

  it('sees every workspace and its sources (a scan of nothing would pass)', () => {
    const dirs = repo.workspaces.map((w) => w.dir);
    expect(dirs).toEqual(expect.arrayContaining(['apps/batcher', 'apps/sender', 'apps/admin', 'packages/core', 'packages/infra-tests', 'scripts']));
    for (const w of repo.workspaces) expect([w.dir, repo.files.some((f) => f.path.startsWith(`${w.dir}/`))]).toEqual([w.dir, true]);
    expect(repo.files.some((f) => f.path.includes('/node_modules/') || f.path.includes('/dist/'))).toBe(false);
    // And it reads their imports: every app imports core by name.
    for (const app of ['batcher', 'sender', 'admin']) {
      expect([app, importsOf(repo.files.find((f) => f.path === `apps/${app}/src/main.ts`)!.text)]).toEqual([app, expect.arrayContaining(['@outboundiq/core'])]);
    }
  });

  it('has no violation beyond the allowed ones, and no allowance that is no longer needed', () => {
    const { unexplained, stale } = checkWalls(violations, ALLOWED);
    expect(unexplained.map(describeViolation)).toEqual([]);
    expect(stale.map((a) => `${a.file} -> ${a.to} is allowed but no longer happens: remove it from ALLOWED`)).toEqual([]);
  });
});

describe('the wall check catches', () => {
  const ws = (dir: string, name: string, declared: string[] = []): Workspace => ({
    dir, name, declared, kind: dir.startsWith('apps/') ? 'app' : dir.startsWith('packages/') ? 'package' : 'scripts',
  });
  const workspaces = [
    ws('apps/batcher', '@x/batcher', ['@x/core']),
    ws('apps/sender', '@x/sender', ['@x/core']),
    ws('packages/core', '@x/core'),
    ws('packages/store', '@x/store', ['@x/core']),
    ws('packages/infra-tests', '@x/infra-tests', ['@x/core']),
    ws('scripts', '@x/scripts', ['@x/core', '@x/store']),
  ];
  const check = (path: string, text: string, extra: Workspace[] = []) =>
    findViolations({ workspaces: [...workspaces, ...extra], files: [{ path, text }] } satisfies Repo).map((v) => `${v.rule} ${v.from} -> ${v.to}`);

  it('a package importing an app, by name or by a relative path into apps/', () => {
    expect(check('packages/store/src/a.ts', "import { loadConfig } from '@x/batcher';")).toEqual(['package-imports-app @x/store -> @x/batcher', 'undeclared @x/store -> @x/batcher']);
    expect(check('packages/infra-tests/test/m.test.ts', "import { loadConfig } from '../../../apps/sender/src/config.js';"))
      .toEqual(['package-imports-app @x/infra-tests -> @x/sender', 'undeclared @x/infra-tests -> @x/sender']);
  });

  it('a package declaring an app in its package.json, even before any import', () => {
    expect(check('packages/store/src/a.ts', '', [ws('packages/e2e', '@x/e2e', ['@x/sender'])])).toEqual(['package-imports-app @x/e2e -> @x/sender']);
  });

  it('an app importing another app, however it is spelled', () => {
    expect(check('apps/sender/src/a.ts', "export { x } from '@x/batcher/app';")).toEqual(['app-imports-app @x/sender -> @x/batcher', 'undeclared @x/sender -> @x/batcher']);
    expect(check('apps/sender/src/a.ts', "const m = await import('../../batcher/src/app.js');")).toEqual(['app-imports-app @x/sender -> @x/batcher', 'undeclared @x/sender -> @x/batcher']);
    expect(check('apps/sender/src/a.cjs', "const m = require('@x/batcher');")).toEqual(['app-imports-app @x/sender -> @x/batcher', 'undeclared @x/sender -> @x/batcher']);
  });

  it('a workspace package used but not declared, in source and tests alike', () => {
    expect(check('packages/store/test/a.test.ts', "import type { T } from '@x/infra-tests';")).toEqual(['undeclared @x/store -> @x/infra-tests']);
    expect(check('scripts/src/s.ts', "import '../../packages/infra-tests/src/x.js';")).toEqual(['undeclared @x/scripts -> @x/infra-tests']);
  });

  it('and nothing else: declared packages, subpaths, its own files, other registries, comments and strings', () => {
    const text = [
      "import { a } from '@x/core';",
      "import { b } from '@x/core/limits';",
      "import { c } from '../src/c.js';",
      "import { d } from 'zod';",
      "import '../../../jest.preset.js';",
      "// import { e } from '@x/batcher';",
      "const snippet = `import { f } from '@x/sender'`;",
    ].join('\n');
    expect(check('packages/store/test/a.test.ts', text)).toEqual([]);
  });

  it('the allowed ones only (that file, that target), and says when an allowance is no longer needed', () => {
    const found = findViolations({
      workspaces,
      files: [
        { path: 'packages/store/src/a.ts', text: "import '@x/batcher'; import '@x/sender';" },
        { path: 'packages/store/src/new.ts', text: "import '@x/batcher';" },
      ],
    });
    const allowed = [
      { file: 'packages/store/src/a.ts', to: '@x/batcher', reason: 'test' },
      { file: 'packages/store/src/a.ts', to: '@x/core', reason: 'stale' },
    ];
    const { unexplained, stale } = checkWalls(found, allowed);
    expect(unexplained.map((v) => `${v.rule} ${v.file} ${v.to}`)).toEqual([
      'package-imports-app packages/store/src/a.ts @x/sender',
      'undeclared packages/store/src/a.ts @x/sender',
      'package-imports-app packages/store/src/new.ts @x/batcher',
      'undeclared packages/store/src/new.ts @x/batcher',
    ]);
    expect(stale).toEqual([allowed[1]]);
  });
});

describe('loadRepo, on a tree on disk', () => {
  const root = mkdtempSync(join(tmpdir(), 'walls-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  };

  it('reads the workspaces pnpm lists and their sources, skipping node_modules and dist', () => {
    write('pnpm-workspace.yaml', 'packages:\n  - apps/*\n  - packages/*\n');
    write('apps/web/package.json', JSON.stringify({ name: '@t/web', dependencies: { '@t/lib': 'workspace:*' } }));
    write('apps/web/src/main.ts', "import '@t/lib';");
    write('packages/lib/package.json', JSON.stringify({ name: '@t/lib' }));
    write('packages/lib/src/index.ts', "import { x } from '../../../apps/web/src/main.js';");
    write('packages/lib/dist/index.js', "import '@t/web';");
    write('packages/lib/node_modules/@t/web/index.js', "import '@t/web';");
    const repo = loadRepo(root);
    expect(repo.workspaces.map((w) => [w.dir, w.name, w.kind])).toEqual([['apps/web', '@t/web', 'app'], ['packages/lib', '@t/lib', 'package']]);
    expect(repo.files.map((f) => f.path).sort()).toEqual(['apps/web/src/main.ts', 'packages/lib/src/index.ts']);
    expect(findViolations(repo).map(describeViolation)).toEqual([
      'packages/lib/src/index.ts: @t/lib -> @t/web ("../../../apps/web/src/main.js"): a package imports an app',
      'packages/lib/src/index.ts: @t/lib -> @t/web ("../../../apps/web/src/main.js"): imports a workspace package its package.json does not declare',
    ]);
  });
});

// CONTRACT 2.2, tested the way the dial-cleaning service gets the package: the tarball `pnpm pack`
// makes, installed with plain npm in an empty project outside this repo (no workspace, no file of
// ours), used with `import` and with `require` against the real Redis, and type-checked there.
// Needs the build (`pnpm test` builds first); npm must be on PATH, and the npm registry reachable
// on a first run (the npm cache in the OS temp folder is kept between runs, and preferred).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createKeys, createRedisClient, secretBoxFromEnv, type Keys, type Redis } from '@outboundiq/core';
import { deleteKeys, uniquePrefix } from '@outboundiq/testkit';
import { createWebhookStore } from '@outboundiq/webhook-store';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const PACKAGE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');
const FIXTURES = join(PACKAGE_DIR, 'test', 'installed');
const NPM_CACHE = join(tmpdir(), 'oiq-producer-package-npm-cache');
const NAME = '@outboundiq/webhook-producer';

/** What a publisher must never find in its process because of us. */
const FORBIDDEN = /(^|[\\/])(pino[^\\/]*|fastify|@fastify|bullmq|got|undici|@outboundiq[\\/]core)([\\/]|$)/;

// The child tools see a plain shell, not the pnpm/jest run around this test: no npm_config_* that
// pnpm set for its scripts, no --experimental-vm-modules.
const childEnv = Object.fromEntries(
  Object.entries(process.env).filter(([key]) => !/^(npm|pnpm)_/i.test(key) && key !== 'NODE_OPTIONS'),
);

function run(command: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = childEnv, timeoutMs = 60_000): string {
  const result = spawnSync(command, args, { cwd, env, encoding: 'utf8', timeout: timeoutMs });
  const shown = `${command} ${args.join(' ')} (in ${cwd})`;
  if (result.error) throw new Error(`${shown}: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`${shown} exited with ${result.status ?? result.signal}:\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

/** Fails, never skips, when a tool the test needs is missing. */
function requireTool(command: string, why: string): void {
  const result = spawnSync(command, ['--version'], { env: childEnv, encoding: 'utf8' });
  if (result.error || result.status !== 0) throw new Error(`${command} is not usable (${result.error?.message ?? result.stderr.trim()}): ${why}`);
}

/** The bare module names a built bundle imports or requires. */
function importsOf(file: string): string[] {
  const code = readFileSync(file, 'utf8');
  const names = [...code.matchAll(/\bfrom\s+["']([^"'.][^"']*)["']|\brequire\(["']([^"'.][^"']*)["']\)/g)].map((m) => m[1] ?? m[2]!);
  return [...new Set(names)].sort();
}

interface ScriptOutput {
  enqueued: boolean;
  rejected: string;
  loaded: string[];
  builtins: string[];
}

describe('the packed producer, installed with npm in an empty project', () => {
  let packDir: string;
  let project: string;
  let tarball: string;
  let installed: string;
  let admin: Redis;
  let keys: Keys;
  const company = 'acme-pkg';
  const dial = (callId: string) => ({
    companySlug: company,
    callId,
    callDirection: 'outbound',
    timestamp: '2026-04-10T20:32:15.5+02:00',
    ani: '+1 (555) 123-4567',
    phone: '555.987.6543',
    campaign: 'Q2 Outbound Push',
    contact: true,
    success: true,
    isSystemDispo: false,
    totalDialAttempts: 3,
    surprise: 'dropped',
  });

  beforeAll(async () => {
    requireTool('npm', 'the package test installs the packed tarball with plain npm, as the dial-cleaning service does: install Node.js 20 with npm');
    requireTool('pnpm', 'the tarball is made with `pnpm pack`, which writes the catalog versions into its package.json');
    for (const file of ['index.js', 'index.cjs', 'index.d.ts', 'index.d.cts']) {
      if (!existsSync(join(PACKAGE_DIR, 'dist', file))) throw new Error(`packages/webhook-producer/dist/${file} is missing: run \`pnpm build\` first`);
    }

    packDir = mkdtempSync(join(tmpdir(), 'oiq-producer-pack-'));
    tarball = (JSON.parse(run('pnpm', ['pack', '--json', '--pack-destination', packDir], PACKAGE_DIR)) as { filename: string }).filename;

    // realpath: the loaded files are compared against it, and a temp folder may sit behind a symlink.
    project = realpathSync(mkdtempSync(join(tmpdir(), 'oiq-publisher-')));
    run('npm', ['init', '-y'], project);
    run('npm', ['install', tarball, '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', '--cache', NPM_CACHE], project, childEnv, 90_000);
    installed = join(project, 'node_modules', ...NAME.split('/'));
    for (const file of readdirSync(FIXTURES)) copyFileSync(join(FIXTURES, file), join(project, file));
    copyFileSync(join(FIXTURES, 'check.ts'), join(project, 'check.mts'));
    copyFileSync(join(FIXTURES, 'check.ts'), join(project, 'check.cts'));

    // A webhook for the company, made the way the admin makes it: the store also stores the layout.
    admin = createRedisClient({ url: REDIS_URL, role: 'worker', name: 'package-test' });
    keys = createKeys(uniquePrefix('package'), 1);
    const store = createWebhookStore({ redis: admin, keys, secretBox: secretBoxFromEnv(undefined, 'test').box });
    await store.create(company, { name: 'crm', url: 'https://crm.example.com/hook', headers: {}, enabled: true });
  }, 120_000);

  afterAll(async () => {
    if (admin) {
      await deleteKeys(admin, keys.prefix);
      await admin.quit();
    }
    for (const dir of [project, packDir]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('holds the two bundles, their declarations, a README and a CHANGELOG, and depends on ioredis and zod only', () => {
    const files = run('tar', ['-tzf', tarball], packDir).split('\n').filter(Boolean).sort();
    expect(files).toEqual(
      ['CHANGELOG.md', 'README.md', 'dist/THIRD_PARTY_LICENSES.txt', 'dist/index.cjs', 'dist/index.d.cts', 'dist/index.d.ts', 'dist/index.js', 'package.json'].map((f) => `package/${f}`),
    );
    const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as { version: string; dependencies: Record<string, string> };
    expect(manifest.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(Object.keys(manifest.dependencies).sort()).toEqual(['ioredis', 'zod']);
    // Semver ranges: no workspace: or catalog: specifier survived the pack (npm could not install one).
    for (const range of Object.values(manifest.dependencies)) expect(range).toMatch(/^[\^~]?\d+\.\d+\.\d+$/);
    expect(readdirSync(join(project, 'node_modules', '@outboundiq'))).toEqual(['webhook-producer']);
    for (const forbidden of ['pino', 'fastify', 'bullmq', 'got', 'undici']) expect(existsSync(join(project, 'node_modules', forbidden))).toBe(false);

    // Core is inlined, not imported: the bundles reach ioredis, zod and node:crypto only, and the
    // declarations import ioredis and zod only.
    for (const bundle of ['index.js', 'index.cjs']) expect(importsOf(join(installed, 'dist', bundle))).toEqual(['crypto', 'ioredis', 'zod']);
    for (const types of ['index.d.ts', 'index.d.cts']) {
      const text = readFileSync(join(installed, 'dist', types), 'utf8');
      expect(text).not.toContain('@outboundiq/core');
      expect(importsOf(join(installed, 'dist', types))).toEqual(['ioredis', 'zod']);
    }
  });

  it.each([
    ['import (ESM)', ['--import', './record-loads.mjs', 'publish.mjs'], /node_modules[\\/]@outboundiq[\\/]webhook-producer[\\/]dist[\\/]index\.js$/],
    ['require (CommonJS)', ['publish.cjs'], /node_modules[\\/]@outboundiq[\\/]webhook-producer[\\/]dist[\\/]index\.cjs$/],
  ])('publishes with %s, loading nothing but the package, ioredis and zod', async (_, args, entry) => {
    const callId = `pkg-${args.at(-1)}`;
    const env = { ...childEnv, REDIS_URL, KEY_PREFIX: keys.prefix, LOADED_LOG: join(project, `loaded-${callId}.log`) };
    const output = JSON.parse(run(process.execPath, [...args, JSON.stringify(dial(callId))], project, env)) as ScriptOutput;

    expect(output.enqueued).toBe(true);
    expect(output.rejected).toMatch(/^DialValidationError: invalid dial: phone: /);
    const stored = (await admin.xrange(keys.dials(company), '-', '+')).flatMap(([, fields]) => JSON.parse(fields[1]!) as Record<string, unknown>[]);
    expect(stored.find((d) => d.callId === callId)).toEqual({
      ...dial(callId),
      surprise: undefined,
      timestamp: '2026-04-10T18:32:15.500Z',
      ani: '5551234567',
      phone: '5559876543',
      campaignInternalId: null,
      agent: null,
      disposition: null,
      dispositionId: null,
    });

    const files = output.loaded.map((id) => (id.startsWith('file:') ? fileURLToPath(id) : id)).filter((id) => !id.startsWith('node:'));
    // The recording works: the package's own bundle, ioredis and zod are in it.
    expect(files.some((f) => entry.test(f))).toBe(true);
    expect(files.some((f) => f.includes(`${sep}node_modules${sep}ioredis${sep}`))).toBe(true);
    expect(files.some((f) => f.includes(`${sep}node_modules${sep}zod${sep}`))).toBe(true);
    expect(files.filter((f) => FORBIDDEN.test(f))).toEqual([]);
    // Every file loaded is the publisher's own, or what npm installed for it: nothing of this repo.
    expect(files.filter((f) => !f.startsWith(project + sep))).toEqual([]);
    // No HTTP client of any kind, Node's own included.
    expect(output.builtins.filter((m) => /^(http|https|http2|_http_\w+|internal\/deps\/undici\b.*)$/.test(m))).toEqual([]);
  });

  it('type-checks a TypeScript publisher against the shipped declarations, with import and with require', () => {
    const requireHere = createRequire(import.meta.url);
    const tsc = join(dirname(requireHere.resolve('typescript/package.json')), 'bin', 'tsc');
    // @types/node as any Node project has it; this repo's copy, since the package ships no Node types.
    const typeRoots = join(dirname(dirname(requireHere.resolve('@types/node/package.json'))));
    run(process.execPath, [
      tsc, '--noEmit', '--strict', '--target', 'es2022', '--module', 'nodenext', '--moduleResolution', 'nodenext',
      '--typeRoots', typeRoots, '--types', 'node', 'check.mts', 'check.cts',
    ], project);
  }, 60_000);
});

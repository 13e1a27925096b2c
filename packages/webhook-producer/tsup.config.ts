// The package the dial-cleaning service installs from its own repository (CONTRACT 2.2): one ESM
// and one CJS bundle, each with bundled declarations, that need ioredis and zod and nothing of ours.
// What the producer uses of @outboundiq/core (a private package) is inlined from core's publisher
// entry, which leaves out the logger, the HTTPS destination policy and config parsing.
import { readFileSync, writeFileSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Options } from 'tsup';

const here = dirname(fileURLToPath(import.meta.url));
const CORE_ENTRY = '@outboundiq/core/publisher';

/**
 * Every bare import the bundle may reach. ioredis and zod stay imports (the package's dependencies);
 * cluster-key-slot (ioredis's slot function, used by core's shards) is inlined so that the only
 * dependencies are those two; node:crypto is core's delivery module. Anything else is a module a
 * publisher must not load (pino, net/'s HTTPS agent, fastify, BullMQ...), and fails the build here
 * rather than in their process.
 */
const ALLOWED = new Set([CORE_ENTRY, 'ioredis', 'zod', 'cluster-key-slot', 'crypto', 'node:crypto']);

const onlyPublisherImports: NonNullable<Options['esbuildPlugins']>[number] = {
  name: 'only-publisher-imports',
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, (args) => {
      if (ALLOWED.has(args.path)) return undefined;
      const what = builtinModules.includes(args.path.replace(/^node:/, '')) ? 'the Node module' : 'the package';
      return {
        errors: [{ text: `the producer bundle may import only ${[...ALLOWED].join(', ')}: ${what} "${args.path}" is imported by ${args.importer}` }],
      };
    });
  },
};

/** cluster-key-slot's licence travels with the code of it that the bundle carries. */
function writeThirdPartyLicenses(): void {
  const requireFromCore = createRequire(join(here, '../core/package.json'));
  const pkgPath = requireFromCore.resolve('cluster-key-slot/package.json');
  const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as { version: string; license: string };
  const dir = dirname(pkgPath);
  const header = /^\/\*[\s\S]*?\*\//.exec(readFileSync(join(dir, 'lib/index.js'), 'utf8'))?.[0] ?? '';
  const text = [
    '@outboundiq/webhook-producer bundles the following third-party code.',
    '',
    `cluster-key-slot ${pkg.version} (${pkg.license}), https://github.com/Salakar/cluster-key-slot`,
    '',
    readFileSync(join(dir, 'LICENSE'), 'utf8').trim(),
    '',
    header,
    '',
  ].join('\n');
  writeFileSync(join(here, 'dist/THIRD_PARTY_LICENSES.txt'), text);
}

export default defineConfig({
  entry: { index: 'src/index.ts' },
  format: ['esm', 'cjs'],
  platform: 'node',
  target: 'node20',
  tsconfig: 'tsconfig.build.json',
  // Readable output: a publisher's stack traces point at code they can read in node_modules.
  minify: false,
  // Error classes set `name` from their own; esbuild renames a class whose name collides in the
  // bundle's single scope, and a publisher matching `err.name` must not see that.
  keepNames: true,
  sourcemap: false,
  splitting: false,
  clean: true,
  esbuildPlugins: [onlyPublisherImports],
  dts: {
    // Inline core's declarations too, so the published .d.ts imports only ioredis and zod. tsup's
    // own resolver ignores package.json `exports`, so the subpath is mapped to core's built types.
    compilerOptions: { paths: { [CORE_ENTRY]: ['../core/dist/publisher.d.ts'] } },
  },
  async onSuccess() {
    writeThirdPartyLicenses();
  },
});

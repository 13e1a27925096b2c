// Shared jest settings: TypeScript compiled by swc to native ESM (got is ESM-only),
// workspace packages (directory = name without the scope) and their subpath entries resolved to
// their sources so tests need no build.
import { dirname, basename } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(fileURLToPath(import.meta.url));

export function preset(configUrl, overrides = {}) {
  const dir = dirname(fileURLToPath(configUrl));
  return {
    displayName: basename(dir),
    rootDir: dir,
    testEnvironment: 'node',
    testMatch: ['<rootDir>/src/**/*.test.ts', '<rootDir>/test/**/*.test.ts'],
    extensionsToTreatAsEsm: ['.ts'],
    transform: {
      '^.+\\.ts$': ['@swc/jest', {
        jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
        module: { type: 'es6' },
        sourceMaps: 'inline',
      }],
    },
    moduleNameMapper: {
      '^@outboundiq/(batcher|sender|admin)$': `${root}/apps/$1/src/app.ts`,
      '^@outboundiq/([a-z-]+)$': `${root}/packages/$1/src/index.ts`,
      // Subpath entries (core's `publisher`) map to the source module of the same name.
      '^@outboundiq/([a-z-]+)/([a-z-]+)$': `${root}/packages/$1/src/$2.ts`,
      '^(\\.{1,2}/.*)\\.js$': '$1',
    },
    testTimeout: 30_000,
    ...overrides,
  };
}

import { preset } from '../../jest.preset.js';

const base = preset(import.meta.url);

export default {
  ...base,
  moduleNameMapper: {
    // ESM-only packages required by CommonJS dependencies: see test/shims/native-require.cjs.
    '^cookie$': '<rootDir>/test/shims/cookie.cjs',
    '^content-disposition$': '<rootDir>/test/shims/content-disposition.cjs',
    ...base.moduleNameMapper,
  },
};

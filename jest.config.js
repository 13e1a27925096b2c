// Every workspace with a jest.config.js is a project; `pnpm test` runs them all at once.
export default {
  projects: ['<rootDir>/packages/*', '<rootDir>/apps/*'],
  // A global option: jest ignores it inside projects (jest.preset.js sets it there too, to no effect
  // under this root config), so without it every test ran under jest's default 5 s.
  testTimeout: 30_000,
};

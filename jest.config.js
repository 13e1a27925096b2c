// Every workspace with a jest.config.js is a project; `pnpm test` runs them all at once.
export default {
  projects: ['<rootDir>/packages/*', '<rootDir>/apps/*'],
};

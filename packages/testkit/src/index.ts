export * from './ca.js';
export * from './receiver.js';
export * from './wait.js';
export * from './redis-server.js';
export * from './redis-helpers.js';
export * from './doc-verify.js';
export * from './apps.js';
export * from './faults/index.js';

export * from './shutdown.js';
export * from './health.js';
export * from './main.js';
export * from './metrics.js';
export * from './timeout.js';

export * from './shutdown.js';
export * from './health.js';
export * from './main.js';
export * from './metrics.js';
export * from './timeout.js';
export * from './memory-pressure.js';
export * from './ops-metrics.js';
export * from './failing-webhooks.js';

export * from './ledger.js';
export * from './load.js';
export * from './fleet.js';
export * from './world.js';

// Given to node with --import, before the publisher's ESM script: every module the ESM loader loads
// from then on (ESM files, CommonJS files imported from ESM, node: builtins) is appended to the file
// LOADED_LOG names. CommonJS files those require() sit in require.cache, which the script reads.
import { register } from 'node:module';

register('./load-hook.mjs', import.meta.url, { data: { log: process.env.LOADED_LOG } });

// Jest (before Node 24.9) cannot require() an ES module, but some CommonJS dependencies do:
// light-my-request (fastify's inject) requires cookie 2, @fastify/static (bull-board) requires
// content-disposition 3, both ESM-only. Node itself can (require(esm), Node >= 20.19), so these
// stand-ins hand the real package over through Node's own require, outside jest's registry.
'use strict';
const { createRequire } = require('node:module');

/** Node's require as seen from `chain[last]`, each package resolved from the one before it. */
exports.nativeRequireFrom = function nativeRequireFrom(chain) {
  let req = createRequire(__filename);
  for (const pkg of chain) req = createRequire(req.resolve(pkg));
  return req;
};

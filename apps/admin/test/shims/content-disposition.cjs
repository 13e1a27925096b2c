'use strict';
// See native-require.cjs.
module.exports = require('./native-require.cjs').nativeRequireFrom(['@bull-board/fastify', '@fastify/static'])('content-disposition');

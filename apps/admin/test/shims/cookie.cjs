'use strict';
// See native-require.cjs.
module.exports = require('./native-require.cjs').nativeRequireFrom(['fastify', 'light-my-request'])('cookie');

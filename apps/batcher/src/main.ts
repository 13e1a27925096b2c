import { createLogger } from '@outboundiq/core';
import { runMain } from '@outboundiq/runtime';
import { startBatcherApp } from './app.js';
import { loadConfig } from './config.js';

runMain('batcher', async () => {
  const config = loadConfig(process.env);
  const logger = createLogger({ name: 'batcher', level: config.LOG_LEVEL });
  return startBatcherApp(config, logger);
});

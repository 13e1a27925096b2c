import { createLogger } from '@outboundiq/core';
import { runMain } from '@outboundiq/runtime';
import { startBatcherApp } from './app.js';
import { loadConfig } from './config.js';

const checkedConfig = () => loadConfig(process.env);

runMain('batcher', async () => {
  const config = checkedConfig();
  const logger = createLogger({ name: 'batcher', level: config.LOG_LEVEL });
  return startBatcherApp(config, logger);
}, { checkConfig: checkedConfig });

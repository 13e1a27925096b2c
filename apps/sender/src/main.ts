import { createLogger } from '@outboundiq/core';
import { runMain } from '@outboundiq/runtime';
import { startSenderApp } from './app.js';
import { loadConfig } from './config.js';

runMain('sender', async () => {
  const config = loadConfig(process.env);
  const logger = createLogger({ name: 'sender', level: config.LOG_LEVEL });
  return startSenderApp(config, logger);
});

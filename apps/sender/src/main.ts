import { createLogger, secretBoxFromEnv } from '@outboundiq/core';
import { runMain } from '@outboundiq/runtime';
import { startSenderApp } from './app.js';
import { loadConfig } from './config.js';

/** Everything the start checks before connecting anywhere: `--check-config` runs only this. */
function checkedConfig() {
  const config = loadConfig(process.env);
  // Production without SECRETS_ENCRYPTION_KEY is refused here, as the start refuses it.
  secretBoxFromEnv(config.SECRETS_ENCRYPTION_KEY, config.NODE_ENV);
  return config;
}

runMain('sender', async () => {
  const config = checkedConfig();
  const logger = createLogger({ name: 'sender', level: config.LOG_LEVEL });
  return startSenderApp(config, logger);
}, { checkConfig: checkedConfig });

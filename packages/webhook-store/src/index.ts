export { createWebhookStore, enabledWebhookIds, WebhookLimitError } from './store.js';
export type { WebhookStore, WebhookStoreDeps, WebhookWithSecret } from './store.js';

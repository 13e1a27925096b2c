export { createWebhookStore, enabledWebhookIds, WebhookLimitError } from './store.js';
export { HeaderValueError } from './headers.js';
export type { WebhookStore, WebhookStoreDeps, WebhookWithSecret } from './store.js';

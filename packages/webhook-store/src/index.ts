export { createWebhookStore, enabledWebhookIds, WebhookLimitError } from './store.js';
export { HeaderValueError } from './headers.js';
export type { WebhookStore, WebhookStoreDeps, WebhookWithSecret } from './store.js';
export { createDeliveryLog, InvalidCursorError } from './delivery-log.js';
export type { DeliveryLog, DeliveryLogDeps, DeliveryLogRetention, DeliveryOutcome, DeliveryPage, ResendClaim } from './delivery-log.js';

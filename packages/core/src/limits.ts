/**
 * The limits of a company's webhooks, and nothing else: no imports, so a browser bundle can take
 * them (`@outboundiq/core/limits`, the Settings page) without pulling zod, Redis or node: modules.
 * The API enforces them (webhook.ts, the store's Lua); the page only tells customers about them.
 */
export const MAX_WEBHOOKS_PER_COMPANY = 3;
export const MAX_CUSTOM_HEADERS = 10;
export const MAX_URL_LENGTH = 2048;
export const MAX_HEADER_VALUE_LENGTH = 1024;

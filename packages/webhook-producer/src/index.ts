export { createDialProducer } from './producer.js';
export { DialValidationError, IdempotencyConflictError, PublishManyError, ReplicationError } from './errors.js';
export type { DialProducerOptions } from './options.js';
export type { DialProducer, PublishManyResult, PublishOptions, PublishResult } from './types.js';
export type { DialEvent, DialInput, ValidationIssue } from '@outboundiq/core/publisher';

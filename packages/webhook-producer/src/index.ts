export { createDialProducer, DialValidationError } from './producer.js';
export type { DialProducer, DialProducerOptions, PublishManyResult, PublishResult } from './producer.js';
export type { DialEvent, DialInput } from '@outboundiq/core';

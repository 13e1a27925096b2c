import { describe, expect, it } from '@jest/globals';
import { ConfigError, OiqError, isRetryable } from './errors.js';
import { DestinationBlockedError } from './net/blocked-error.js';

describe('isRetryable: the error says whether another attempt can help', () => {
  const blocked = new DestinationBlockedError('h.example.com', { allowed: false, address: '10.0.0.1', range: '10.0.0.0/8', reason: 'a private address' });

  it('is false for an OiqError marked so, however deeply it is wrapped (as got wraps a socket error)', () => {
    expect(isRetryable(blocked)).toBe(false);
    const gotLike = Object.assign(new Error('destination blocked', { cause: blocked }), { code: blocked.code });
    expect(isRetryable(new Error('outer', { cause: gotLike }))).toBe(false);
    expect(isRetryable(new AggregateError([new Error('ECONNREFUSED'), blocked]))).toBe(false);
    expect(isRetryable(new ConfigError('bad'))).toBe(false);
  });

  it('is true for errors that say nothing, and for those that say yes', () => {
    for (const err of [new Error('ECONNRESET'), Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' }), undefined, 'text']) {
      expect(isRetryable(err)).toBe(true);
    }
    expect(isRetryable(new OiqError('busy', { retryable: true }))).toBe(true);
  });

  it('lets the nearest error that says something decide, and survives cycles', () => {
    expect(isRetryable(new OiqError('retry the whole call', { retryable: true, cause: blocked }))).toBe(true);
    const cyclic: { cause?: unknown } = {};
    cyclic.cause = cyclic;
    expect(isRetryable(cyclic)).toBe(true);
    // Read as a property, so a copy of core's class from another bundle counts too.
    expect(isRetryable({ name: 'DestinationBlockedError', retryable: false })).toBe(false);
  });
});

import { describe, expect, it, jest } from '@jest/globals';
import type { LookupFunction } from 'node:net';
import { DestinationBlockedError, isDestinationBlocked } from './blocked-error.js';
import { createVettedLookup, type Resolver } from './lookup.js';

type Result = { err: NodeJS.ErrnoException | null; address: unknown; family: unknown };
function lookupOnce(lookup: LookupFunction, hostname: string, options: object | number = {}): Promise<Result> {
  return new Promise((resolve) => lookup(hostname, options as object, (err, address, family) => resolve({ err, address, family })));
}

/** A DNS server that rebinds: public on the first question, loopback on every later one. */
function rebinding() {
  let calls = 0;
  const resolve = jest.fn<Resolver>(async () => [{ address: calls++ === 0 ? '93.184.216.34' : '127.0.0.1' }]);
  return resolve;
}

describe('createVettedLookup', () => {
  it('answers only the vetted address and asks DNS exactly once per connection', async () => {
    const resolve = rebinding();
    const lookup = createVettedLookup({ allowPrivate: false, resolve });
    const first = await lookupOnce(lookup, 'rebind.example.com', { all: false });
    expect(first).toEqual({ err: null, address: '93.184.216.34', family: 4 });
    expect(resolve).toHaveBeenCalledTimes(1);
    // The next connection asks again, and is refused: the rebinding is seen, never connected to.
    const second = await lookupOnce(lookup, 'rebind.example.com', { all: true });
    expect(second.err).toBeInstanceOf(DestinationBlockedError);
    expect(resolve).toHaveBeenCalledTimes(2);
  });

  it('refuses a name with one public and one private address', async () => {
    const resolve: Resolver = async () => [{ address: '93.184.216.34' }, { address: '10.0.0.7' }];
    const { err } = await lookupOnce(createVettedLookup({ allowPrivate: false, resolve }), 'mixed.example.com', { all: true });
    expect(err?.message).toBe(
      'destination blocked: host mixed.example.com resolved to 10.0.0.7, a private-network address (10.0.0.0/8); webhooks must point to the public internet',
    );
    expect(isDestinationBlocked(err)).toBe(true);
  });

  it('honours all and family, in the resolver order', async () => {
    const resolve: Resolver = async () => [{ address: '2606:4700::1111' }, { address: '1.1.1.1' }];
    const lookup = createVettedLookup({ allowPrivate: false, resolve });
    expect((await lookupOnce(lookup, 'h.example.com', { all: true })).address).toEqual([
      { address: '2606:4700::1111', family: 6 },
      { address: '1.1.1.1', family: 4 },
    ]);
    expect(await lookupOnce(lookup, 'h.example.com', { family: 4 })).toEqual({ err: null, address: '1.1.1.1', family: 4 });
    expect(await lookupOnce(lookup, 'h.example.com', { family: 'IPv6' })).toEqual({ err: null, address: '2606:4700::1111', family: 6 });
    expect(await lookupOnce(lookup, 'h.example.com', 4)).toMatchObject({ address: '1.1.1.1' });
    const v4only = createVettedLookup({ allowPrivate: false, resolve: async () => [{ address: '1.1.1.1' }] });
    expect((await lookupOnce(v4only, 'h.example.com', { family: 6 })).err).toMatchObject({ code: 'ENOTFOUND' });
  });

  it('passes resolver errors through untouched', async () => {
    const failure = Object.assign(new Error('getaddrinfo ENOTFOUND nope.example.com'), { code: 'ENOTFOUND' });
    const lookup = createVettedLookup({ allowPrivate: false, resolve: async () => Promise.reject(failure) });
    expect((await lookupOnce(lookup, 'nope.example.com')).err).toBe(failure);
  });

  it('judges IP-literal hosts without asking DNS, brackets or not', async () => {
    const resolve = jest.fn<Resolver>(async () => []);
    const lookup = createVettedLookup({ allowPrivate: false, resolve });
    expect(await lookupOnce(lookup, '8.8.8.8')).toEqual({ err: null, address: '8.8.8.8', family: 4 });
    expect((await lookupOnce(lookup, '[::1]')).err).toBeInstanceOf(DestinationBlockedError);
    expect((await lookupOnce(lookup, '0x7f.1')).err).toMatchObject({ host: '0x7f.1', address: '127.0.0.1' });
    expect(resolve).not.toHaveBeenCalled();
  });

  it('answers private addresses normally when they are allowed', async () => {
    const lookup = createVettedLookup({ allowPrivate: true, resolve: async () => [{ address: '127.0.0.1' }, { address: '::1' }] });
    expect((await lookupOnce(lookup, 'localhost', { all: true })).address).toEqual([
      { address: '127.0.0.1', family: 4 },
      { address: '::1', family: 6 },
    ]);
  });

  it('calls back asynchronously, once', async () => {
    const lookup = createVettedLookup({ allowPrivate: false, resolve: async () => [{ address: '1.1.1.1' }] });
    const callback = jest.fn();
    lookup('h.example.com', {}, callback);
    expect(callback).not.toHaveBeenCalled();
    await new Promise((r) => setTimeout(r, 10));
    expect(callback).toHaveBeenCalledTimes(1);
  });
});

describe('isDestinationBlocked', () => {
  const blocked = new DestinationBlockedError('h.example.com', { allowed: false, address: '10.0.0.1', range: '10.0.0.0/8', reason: 'x' });

  it('sees through cause chains and AggregateErrors, like got wraps errors', () => {
    const gotLike = Object.assign(new Error('destination blocked', { cause: blocked }), { code: blocked.code });
    expect(isDestinationBlocked(new Error('outer', { cause: gotLike }))).toBe(true);
    expect(isDestinationBlocked(new AggregateError([new Error('a'), blocked]))).toBe(true);
    expect(isDestinationBlocked({ code: 'ERR_OIQ_DESTINATION_BLOCKED' })).toBe(true);
  });

  it('is false for anything else, cycles included', () => {
    const cyclic: { cause?: unknown } = {};
    cyclic.cause = cyclic;
    for (const value of [null, undefined, 'ERR_OIQ_DESTINATION_BLOCKED', new Error('ECONNREFUSED'), cyclic]) {
      expect(isDestinationBlocked(value)).toBe(false);
    }
  });

  it('is an OiqError that must not be retried', () => {
    expect(blocked).toMatchObject({ name: 'DestinationBlockedError', retryable: false, code: 'ERR_OIQ_DESTINATION_BLOCKED' });
  });
});

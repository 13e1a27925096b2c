import { describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { createDialProducer, type DialProducerOptions } from './index.js';

// Never connects: `lazyConnect`, and every case throws before a client of the producer's own is made.
const redis = new Redis({ lazyConnect: true });

describe('createDialProducer connection options', () => {
  it.each<[string, unknown, RegExp]>([
    ['none', {}, /exactly one of redisUrl, clusterNodes and redis/],
    ['no options at all', undefined, /options are required/],
    ['redisUrl and redis', { redisUrl: 'redis://127.0.0.1:6379', redis }, /not redisUrl and redis/],
    ['redisUrl and clusterNodes', { redisUrl: 'redis://127.0.0.1:6379', clusterNodes: ['127.0.0.1:7000'] }, /not redisUrl and clusterNodes/],
    ['all three', { redisUrl: 'redis://x:1', clusterNodes: ['127.0.0.1:7000'], redis }, /not redisUrl and clusterNodes and redis/],
    ['an empty clusterNodes', { clusterNodes: [] }, /clusterNodes must be a non-empty array/],
    ['clusterNodes as one string', { clusterNodes: '127.0.0.1:7000' }, /clusterNodes must be a non-empty array/],
    ['a clusterNodes entry without a port', { clusterNodes: ['127.0.0.1:7000', '127.0.0.1'] }, /clusterNodes "127.0.0.1" is not host:port/],
    ['a redis that is no client', { redis: {} }, /redis must be an ioredis Redis or Cluster/],
    ['a negative waitForReplicas', { redis, waitForReplicas: -1 }, /waitForReplicas/],
    ['a fractional timeoutMs', { redis, timeoutMs: 1.5 }, /timeoutMs/],
  ])('throws a TypeError for %s', (_, options, message) => {
    const create = () => createDialProducer(options as DialProducerOptions);
    expect(create).toThrow(TypeError);
    expect(create).toThrow(message);
  });

  it('takes clusterNodes, and leaves a client it was given open on close', async () => {
    const fromSeeds = createDialProducer({ clusterNodes: ['127.0.0.1:1', 'redis://127.0.0.1:2'] });
    await fromSeeds.close();
    const given = createDialProducer({ redis, waitForReplicas: 1 });
    await given.close();
    expect(redis.status).toBe('wait');
  });
});

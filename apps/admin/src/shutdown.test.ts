import { describe, expect, it } from '@jest/globals';
import { createLogger } from '@outboundiq/core';
import { createShutdown } from './shutdown.js';

const silent = createLogger({ name: 'test', level: 'silent' });

describe('createShutdown', () => {
  it('runs every step once, in order, and resolves 0', async () => {
    const ran: string[] = [];
    const shutdown = createShutdown(silent, ['readiness', 'http', 'redis'].map((name) => ({ name, run: async () => void ran.push(name) })), 1_000);
    const [a, b] = await Promise.all([shutdown('SIGTERM'), shutdown('SIGINT')]);
    expect([a, b]).toEqual([0, 0]);
    expect(ran).toEqual(['readiness', 'http', 'redis']);
  });

  it('goes on past a failing step and resolves 1', async () => {
    const ran: string[] = [];
    const shutdown = createShutdown(
      silent,
      [
        { name: 'broken', run: () => Promise.reject(new Error('boom')) },
        { name: 'after', run: () => void ran.push('after') },
      ],
      1_000,
    );
    expect(await shutdown('SIGTERM')).toBe(1);
    expect(ran).toEqual(['after']);
  });

  it('gives up at the deadline with 1', async () => {
    const shutdown = createShutdown(silent, [{ name: 'hangs', run: () => new Promise(() => undefined) }], 50);
    const started = Date.now();
    expect(await shutdown('SIGTERM')).toBe(1);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});

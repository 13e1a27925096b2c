import { describe, expect, it } from '@jest/globals';
import { createLogger } from '@outboundiq/core';
import { watchBackpressure } from './backpressure.js';

const until = async (check: () => boolean, what: string) => {
  for (const deadline = Date.now() + 5_000; !check(); await new Promise((r) => setTimeout(r, 5))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
  }
};

describe('backpressure', () => {
  it('counts a burst of jobs this batcher just added (past twice the threshold) before the next sample, and lets go once a sample shows the senders caught up', async () => {
    let depth = 0;
    const changes: boolean[] = [];
    const bp = watchBackpressure({
      queueDepth: () => Promise.resolve(depth),
      thresholdJobs: 100,
      waitMs: 7_000,
      sampleEveryMs: 20,
      logger: createLogger({ name: 'test', level: 'silent' }),
      onChange: (behind) => changes.push(behind),
    });
    try {
      expect(bp.maxWaitMs()).toBeUndefined();
      bp.added(150);
      // Over the threshold: the next sample decides (a period's ordinary traffic).
      expect(bp.maxWaitMs()).toBeUndefined();
      // A burst of rounds between two samples, past twice the threshold: behind at once, without
      // waiting for the queue to be read.
      bp.added(60);
      expect(bp.maxWaitMs()).toBe(7_000);
      // The senders took them: the next sample says so.
      await until(() => bp.maxWaitMs() === undefined, 'the senders to count as caught up');
      expect(changes).toEqual([true, false]);
      depth = 500;
      await until(() => bp.maxWaitMs() === 7_000, 'a sample over the threshold');
    } finally {
      bp.stop();
    }
  });
});

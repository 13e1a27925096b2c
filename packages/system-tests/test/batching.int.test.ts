import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { TEST_BACKENDS, waitFor } from '@outboundiq/testkit';
import { sampleDial, startPipeline, type Pipeline } from '../src/harness.js';

interface Received {
  deliveryId: string;
  dials: { companySlug: string; callId: string; phone: string; totalDialAttempts: number }[];
}

const bodies = (p: Pipeline, path: string): Received[] => p.receiver.requestsTo(path).map((r) => JSON.parse(r.body.toString()) as Received);
const dialCount = (p: Pipeline, path: string) => bodies(p, path).reduce((n, b) => n + b.dials.length, 0);

describe.each(TEST_BACKENDS)('batching on $label', (backend) => {
  let p: Pipeline;
  beforeAll(async () => {
    p = await startPipeline('batching', {}, { backend });
  });
  afterAll(() => p.close());

  it('delivers 1,000 dials published at once in batches of at most 100, each dial exactly once, values intact', async () => {
    await p.createWebhook('bulk', '/bulk');
    const dials = Array.from({ length: 1_000 }, (_, n) => sampleDial('bulk', n));
    const results = await Promise.all(dials.map((d) => p.producer.publish(d)));
    expect(results.every((r) => r.enqueued)).toBe(true);

    await waitFor(() => dialCount(p, '/bulk') >= 1_000, 20_000, '1,000 dials at /bulk');
    const received = bodies(p, '/bulk');
    expect(Math.max(...received.map((b) => b.dials.length))).toBeLessThanOrEqual(100);
    expect(received.length).toBeLessThan(1_000); // batched, not one request per dial
    const byCallId = new Map(received.flatMap((b) => b.dials).map((d) => [d.callId, d]));
    expect(byCallId.size).toBe(1_000);
    expect(dialCount(p, '/bulk')).toBe(1_000);
    for (const [n, dial] of dials.entries()) {
      expect(byCallId.get(`C${n}`)).toEqual({ ...dial, phone: dial.phone, timestamp: new Date(dial.timestamp).toISOString() });
    }
  });

  it('fills whole batches of 100 from publishMany', async () => {
    await p.createWebhook('many', '/many');
    await expect(p.producer.publishMany(Array.from({ length: 500 }, (_, n) => sampleDial('many', n)))).resolves.toEqual({ enqueued: 500, skipped: 0 });
    await waitFor(() => dialCount(p, '/many') >= 500, 10_000, '500 dials at /many');
    expect(bodies(p, '/many').map((b) => b.dials.length)).toEqual([100, 100, 100, 100, 100]);
  });

  it('never mixes two companies in a batch', async () => {
    await p.createWebhook('alpha', '/alpha');
    await p.createWebhook('beta', '/beta');
    const mixed = Array.from({ length: 300 }, (_, n) => sampleDial(n % 2 === 0 ? 'alpha' : 'beta', n));
    await p.producer.publishMany(mixed);
    await Promise.all(mixed.map((d, n) => p.producer.publish({ ...d, callId: `again-${n}` })));
    await waitFor(() => dialCount(p, '/alpha') >= 300 && dialCount(p, '/beta') >= 300, 10_000, 'both companies');
    for (const [path, company] of [['/alpha', 'alpha'], ['/beta', 'beta']] as const) {
      for (const body of bodies(p, path)) expect(new Set(body.dials.map((d) => d.companySlug))).toEqual(new Set([company]));
      expect(dialCount(p, path)).toBe(300);
    }
  });

  it('gives each of three webhooks of a company every dial, under its own deliveryIds', async () => {
    for (const path of ['/w1', '/w2', '/w3']) await p.createWebhook('triple', path);
    await p.producer.publishMany(Array.from({ length: 250 }, (_, n) => sampleDial('triple', n)));
    await waitFor(() => ['/w1', '/w2', '/w3'].every((path) => dialCount(p, path) >= 250), 10_000, 'three webhooks');
    const ids = ['/w1', '/w2', '/w3'].map((path) => new Set(bodies(p, path).map((b) => b.deliveryId)));
    for (const path of ['/w1', '/w2', '/w3']) {
      expect(dialCount(p, path)).toBe(250);
      expect(new Set(bodies(p, path).flatMap((b) => b.dials.map((d) => d.callId))).size).toBe(250);
    }
    const all = [...ids[0]!, ...ids[1]!, ...ids[2]!];
    expect(new Set(all).size).toBe(all.length);
  });
});

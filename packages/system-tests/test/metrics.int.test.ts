import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { scrapeMetrics, sumOf, waitFor, type Sample } from '@outboundiq/testkit';
import { createDialProducer } from '@outboundiq/webhook-producer';
import { REDIS_URL, sampleDial, startPipeline, type Pipeline } from '../src/harness.js';

/** The batcher and sender processes serve /metrics; their counters follow what happens to dials. */
describe('metrics of the pipeline', () => {
  let p: Pipeline;
  const scrape = (app: 'batcher' | 'sender') => scrapeMetrics(`http://127.0.0.1:${p.healthPort(app)}/metrics`);

  beforeAll(async () => {
    // The sender starts once jobs are queued, so one webhook can be disabled in between (skipped).
    p = await startPipeline('metrics', { RETRY_DELAY_MS: '50' }, { holdSender: true });
  });
  afterAll(() => p.close());

  it('counts dials, batches, backlog and every delivery outcome', async () => {
    await p.createWebhook('m-ok', '/ok');
    await p.createWebhook('m-flaky', '/flaky');
    await p.createWebhook('m-down', '/down');
    const off = await p.createWebhook('m-off', '/off');
    p.receiver.respond('/flaky', (_req, nth) => ({ status: nth === 0 ? 503 : 200 }));
    p.receiver.respond('/down', () => ({ status: 500 }));

    // The publisher's own counters, fed by the producer's hook (runtime's producerMetrics does the same).
    const published = { enqueued: 0, skipped: 0 };
    const onPublish = (c: { enqueued: number; skipped: number }) => {
      published.enqueued += c.enqueued;
      published.skipped += c.skipped;
    };
    const producer = createDialProducer({ redisUrl: REDIS_URL, keyPrefix: p.prefix, onPublish });
    const started = Date.now();
    await producer.publishMany([
      ...Array.from({ length: 30 }, (_, n) => sampleDial('m-ok', n)),
      sampleDial('m-flaky', 1), sampleDial('m-down', 2), sampleDial('m-off', 3),
      sampleDial('nobody', 4), sampleDial('nobody', 5),
    ]);
    await producer.publish(sampleDial('m-ok', 99));
    await producer.close();
    expect(published).toEqual({ enqueued: 34, skipped: 2 });

    let batcher: Sample[] = [];
    await waitFor(async () => sumOf((batcher = await scrape('batcher')), 'oiq_batcher_dials_total') === 34, 10_000, 'the batcher to read 34 dials');
    expect(sumOf(batcher, 'oiq_batcher_delivery_jobs_total')).toBe(sumOf(batcher, 'oiq_batcher_batches_flushed_total'));
    expect(sumOf(batcher, 'oiq_batcher_batch_size_dials_count')).toBe(sumOf(batcher, 'oiq_batcher_batches_flushed_total'));
    expect(sumOf(batcher, 'oiq_batcher_batch_size_dials_sum')).toBe(34);
    const jobs = sumOf(batcher, 'oiq_batcher_delivery_jobs_total');
    expect(sumOf(batcher, 'oiq_queue_jobs', { queue: 'deliveries', state: 'waiting' })).toBe(jobs);
    expect(sumOf(batcher, 'oiq_scheduler_companies', { state: 'ready' })).toBe(0);
    expect(batcher.find((s) => s.name === 'oiq_oldest_pending_dial_age_seconds')?.value).toBe(0);
    expect(batcher.some((s) => s.name === 'process_resident_memory_bytes')).toBe(true);

    await p.store.update('m-off', off.id, { enabled: false });
    await p.startSender();
    let sender: Sample[] = [];
    await waitFor(async () => sumOf((sender = await scrape('sender')), 'oiq_deliveries_total') === jobs, 10_000, 'every delivery to finish');
    const outcome = (o: string) => sumOf(sender, 'oiq_deliveries_total', { outcome: o });
    expect(outcome('delivered_first_try')).toBe(jobs - 3);
    expect(outcome('delivered_on_retry')).toBe(1);
    expect(outcome('failed')).toBe(1);
    expect(outcome('skipped')).toBe(1);
    expect(outcome('refused')).toBe(0);
    expect(sumOf(sender, 'oiq_delivered_dials_total')).toBe(32);
    const latencyCount = sumOf(sender, 'oiq_delivery_latency_seconds_count');
    expect(latencyCount).toBe(jobs - 2);
    const latencySum = sumOf(sender, 'oiq_delivery_latency_seconds_sum');
    expect(latencySum).toBeGreaterThan(0);
    expect(latencySum / latencyCount).toBeLessThan((Date.now() - started) / 1_000);
    expect(sumOf(sender, 'oiq_delivery_attempt_duration_seconds_count', { result: '2xx' })).toBe(jobs - 2);
    expect(sumOf(sender, 'oiq_delivery_attempt_duration_seconds_count', { result: '5xx' })).toBe(3);
    expect(p.receiver.requestsTo('/off')).toEqual([]);

    await waitFor(async () => sumOf(await scrape('batcher'), 'oiq_queue_jobs', { state: 'failed' }) === 1, 5_000, 'the failed job to show');
  });

  it('answers health and readiness on the same port', async () => {
    for (const app of ['batcher', 'sender'] as const) {
      for (const path of ['/healthz', '/readyz']) {
        const res = await fetch(`http://127.0.0.1:${p.healthPort(app)}${path}`);
        expect([app, path, res.status]).toEqual([app, path, 200]);
      }
    }
  });
});

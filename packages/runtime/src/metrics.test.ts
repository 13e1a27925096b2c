import { describe, expect, it, jest } from '@jest/globals';
import { batcherMetrics, createMetricsRegistry, producerMetrics, registerBacklogGauges, senderMetrics } from './metrics.js';

/** `name{labels} value` lines of the text format, as a map. */
function samples(text: string): Map<string, number> {
  const map = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    map.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return map;
}

describe('metrics', () => {
  it('renders the Prometheus text format with Node defaults and only oiq_ names of our own', async () => {
    const metrics = createMetricsRegistry();
    batcherMetrics(metrics.registry);
    const { contentType, body } = await metrics.render();
    expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(body).toContain('# TYPE process_cpu_user_seconds_total counter');
    expect(body).toContain('# TYPE nodejs_eventloop_lag_seconds gauge');
    const ours = metrics.registry.getMetricsAsArray().map((m) => m.name).filter((n) => !/^(process|nodejs)_/.test(n));
    expect(ours.length).toBeGreaterThan(0);
    for (const name of ours) expect(name).toMatch(/^oiq_[a-z_]+$/);
  });

  it('counts batches, dials and jobs, and histograms the batch size', async () => {
    const metrics = createMetricsRegistry({ defaultMetrics: false });
    const { onBatch } = batcherMetrics(metrics.registry);
    onBatch({ dials: 100, webhooks: 2 });
    onBatch({ dials: 7, webhooks: 2 });
    const s = samples((await metrics.render()).body);
    expect(s.get('oiq_batcher_dials_total')).toBe(107);
    expect(s.get('oiq_batcher_batches_flushed_total')).toBe(2);
    expect(s.get('oiq_batcher_delivery_jobs_total')).toBe(4);
    expect(s.get('oiq_batcher_batch_size_dials_bucket{le="10"}')).toBe(1);
    expect(s.get('oiq_batcher_batch_size_dials_bucket{le="100"}')).toBe(2);
  });

  it('labels each delivery by outcome, times attempts by status class, and measures latency from the publish', async () => {
    const metrics = createMetricsRegistry({ defaultMetrics: false });
    const { events } = senderMetrics(metrics.registry, () => 10_000);
    const job = { firstPublishedAt: 7_500, dialCount: 3 };
    events.attempt({ outcome: { ok: true, status: 204 }, ms: 40 });
    events.attempt({ outcome: { ok: false, status: 503 }, ms: 900 });
    events.attempt({ outcome: { ok: false }, ms: 10_000 });
    events.finished({ result: { outcome: 'delivered', attempts: 1 }, job });
    events.finished({ result: { outcome: 'delivered', attempts: 2 }, job });
    events.finished({ result: { outcome: 'failed' }, job });
    events.finished({ result: { outcome: 'refused' }, job });
    events.finished({ result: { outcome: 'skipped' }, job });
    const s = samples((await metrics.render()).body);
    for (const outcome of ['delivered_first_try', 'delivered_on_retry', 'failed', 'refused', 'skipped']) {
      expect([outcome, s.get(`oiq_deliveries_total{outcome="${outcome}"}`)]).toEqual([outcome, 1]);
    }
    expect(s.get('oiq_delivered_dials_total')).toBe(6);
    expect(s.get('oiq_delivery_latency_seconds_count')).toBe(2);
    expect(s.get('oiq_delivery_latency_seconds_sum')).toBe(5);
    expect(s.get('oiq_delivery_attempt_duration_seconds_count{result="2xx"}')).toBe(1);
    expect(s.get('oiq_delivery_attempt_duration_seconds_count{result="5xx"}')).toBe(1);
    expect(s.get('oiq_delivery_attempt_duration_seconds_count{result="error"}')).toBe(1);
  });

  it('shows every outcome at zero before anything happened', async () => {
    const metrics = createMetricsRegistry({ defaultMetrics: false });
    senderMetrics(metrics.registry);
    expect(samples((await metrics.render()).body).get('oiq_deliveries_total{outcome="failed"}')).toBe(0);
  });

  it('counts what the producer hook reports', async () => {
    const metrics = createMetricsRegistry({ defaultMetrics: false });
    const { onPublish } = producerMetrics(metrics.registry);
    onPublish({ enqueued: 5, skipped: 0 });
    onPublish({ enqueued: 0, skipped: 2 });
    const s = samples((await metrics.render()).body);
    expect(s.get('oiq_producer_dials_total{result="enqueued"}')).toBe(5);
    expect(s.get('oiq_producer_dials_total{result="skipped"}')).toBe(2);
  });

  it('reads queue depths once per scrape, and answers without them when Redis does not', async () => {
    let reads = 0;
    let hang = false;
    const queue = {
      name: 'deliveries',
      getJobCounts: (...types: string[]) => {
        reads++;
        return hang ? new Promise<Record<string, number>>(() => undefined) : Promise.resolve(Object.fromEntries(types.map((t, i) => [t, i + 1])));
      },
    };
    const metrics = createMetricsRegistry({ defaultMetrics: false });
    registerBacklogGauges(metrics.registry, { queues: [queue, queue], timeoutMs: 100 });
    const s = samples((await metrics.render()).body);
    // One read of each shard's queue per scrape; the totals sum the shards.
    expect(reads).toBe(2);
    expect(s.get('oiq_queue_jobs{queue="deliveries",state="waiting"}')).toBe(2);
    expect(s.get('oiq_queue_jobs{queue="deliveries",state="failed"}')).toBe(8);
    expect(s.get('oiq_shard_queue_jobs{shard="1",state="failed"}')).toBe(4);

    // A Redis that never answers: the scrape answers once the read's timeout (100 ms) has run out,
    // on a fake clock, so how busy the machine is does not matter.
    hang = true;
    const readsBefore = reads;
    jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask', 'setImmediate'] });
    let after: Map<string, number>;
    try {
      let answered = false;
      const scrape = metrics.render().then((r) => ((answered = true), r));
      await jest.advanceTimersByTimeAsync(99);
      expect(answered).toBe(false);
      await jest.advanceTimersByTimeAsync(1);
      await new Promise((r) => setImmediate(r)); // every microtask of the scrape has run by then
      expect(answered).toBe(true);
      after = samples((await scrape).body);
    } finally {
      jest.useRealTimers();
    }
    // Each shard's queue read afresh, not a settled read reused.
    expect(reads - readsBefore).toBe(2);
    expect(after.has('oiq_queue_jobs{queue="deliveries",state="waiting"}')).toBe(false);
    // Counted as it happens, so it shows from the next scrape on (collection runs side by side).
    expect(samples((await metrics.render()).body).get('oiq_backlog_collect_failures_total')).toBe(1);
  });
});

import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { Registry } from 'prom-client';
import { failingWebhookMetrics } from './failing-webhooks.js';

const failed = (companySlug: string, webhookId: string) => ({ result: { outcome: 'failed' }, job: { companySlug, webhookId } });
const delivered = (companySlug: string, webhookId: string) => ({ result: { outcome: 'delivered' }, job: { companySlug, webhookId } });

/** The series of oiq_webhook_failing as a scrape shows them, `company/webhook` sorted, and the overflow count. */
async function scrape(registry: Registry): Promise<{ failing: string[]; overflow: number }> {
  const metrics = await registry.getMetricsAsJSON();
  const gauge = metrics.find((m) => m.name === 'oiq_webhook_failing')!;
  const counter = metrics.find((m) => m.name === 'oiq_webhook_failing_overflow_total')!;
  const failing = gauge.values.map((v) => {
    expect(v.value).toBe(1);
    expect(Object.keys(v.labels).sort()).toEqual(['company', 'webhook']);
    return `${v.labels.company}/${v.labels.webhook}`;
  });
  return { failing: failing.sort(), overflow: Number(counter.values[0]?.value ?? NaN) };
}

describe('failingWebhookMetrics (oiq_webhook_failing)', () => {
  beforeEach(() => void jest.useFakeTimers({ now: new Date('2026-12-01T12:00:00Z') }));
  afterEach(() => void jest.useRealTimers());

  it('shows a webhook from its failed delivery until it delivers again; a healthy webhook never', async () => {
    const registry = new Registry();
    const tracker = failingWebhookMetrics(registry);
    expect(await scrape(registry)).toEqual({ failing: [], overflow: 0 });
    tracker.finished(delivered('acme', 'wh_ok'));
    tracker.finished(failed('acme', 'wh_down'));
    tracker.finished(failed('acme', 'wh_down'));
    tracker.finished({ result: { outcome: 'refused' }, job: { companySlug: 'beta', webhookId: 'wh_private' } });
    expect(await scrape(registry)).toEqual({ failing: ['acme/wh_down'], overflow: 0 });
    tracker.finished(delivered('acme', 'wh_down'));
    expect(await scrape(registry)).toEqual({ failing: [], overflow: 0 });
    // A skip (webhook disabled or deleted meanwhile) clears it too: nothing is left to fix.
    tracker.finished(failed('beta', 'wh_gone'));
    tracker.finished({ result: { outcome: 'skipped' }, job: { companySlug: 'beta', webhookId: 'wh_gone' } });
    expect(tracker.size).toBe(0);
  });

  it('forgets a webhook after the quiet period with no failed delivery; another failure restarts it', async () => {
    const registry = new Registry();
    const tracker = failingWebhookMetrics(registry, { quietMs: 60 * 60_000 });
    tracker.finished(failed('acme', 'wh_a'));
    jest.advanceTimersByTime(40 * 60_000);
    tracker.finished(failed('acme', 'wh_b'));
    jest.advanceTimersByTime(19 * 60_000);
    expect((await scrape(registry)).failing).toEqual(['acme/wh_a', 'acme/wh_b']);
    jest.advanceTimersByTime(2 * 60_000);
    expect((await scrape(registry)).failing).toEqual(['acme/wh_b']);
    // wh_b fails again at 61 min: its hour starts over.
    tracker.finished(failed('acme', 'wh_b'));
    jest.advanceTimersByTime(59 * 60_000);
    expect((await scrape(registry)).failing).toEqual(['acme/wh_b']);
    jest.advanceTimersByTime(2 * 60_000);
    expect(await scrape(registry)).toEqual({ failing: [], overflow: 0 });
  });

  it('exports at most maxSeries series; further failing webhooks are counted, and take a freed place', async () => {
    const registry = new Registry();
    const tracker = failingWebhookMetrics(registry, { maxSeries: 3, quietMs: 60_000 });
    for (let n = 0; n < 1_000; n++) tracker.finished(failed(`c${n % 10}`, `wh_${n}`));
    const full = await scrape(registry);
    expect(full).toEqual({ failing: ['c0/wh_0', 'c1/wh_1', 'c2/wh_2'], overflow: 997 });
    // A tracked webhook failing again is not an overflow.
    tracker.finished(failed('c1', 'wh_1'));
    expect((await scrape(registry)).overflow).toBe(997);
    // One recovers: the next failing webhook takes its place.
    tracker.finished(delivered('c0', 'wh_0'));
    tracker.finished(failed('c9', 'wh_999'));
    expect(await scrape(registry)).toEqual({ failing: ['c1/wh_1', 'c2/wh_2', 'c9/wh_999'], overflow: 997 });
    // The quiet period frees places too, without a scrape in between.
    jest.advanceTimersByTime(61_000);
    tracker.finished(failed('c5', 'wh_5'));
    expect(await scrape(registry)).toEqual({ failing: ['c5/wh_5'], overflow: 997 });
  });

  it('with maxSeries 0 exports no series, only the overflow count', async () => {
    const registry = new Registry();
    const tracker = failingWebhookMetrics(registry, { maxSeries: 0 });
    tracker.finished(failed('acme', 'wh_a'));
    expect(await scrape(registry)).toEqual({ failing: [], overflow: 1 });
  });
});

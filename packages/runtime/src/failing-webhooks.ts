import { Counter, Gauge, type Registry } from 'prom-client';

/**
 * The one metric labelled by company and webhook: `oiq_webhook_failing{company, webhook}`, 1 while a
 * webhook is failing, so the alert OiqWebhookFailing can say which customer's endpoint is down.
 * Its cardinality is bounded: a series exists only for a webhook whose last delivery in this process
 * failed after its retry, and at most `maxSeries` of them. A series goes when that webhook delivers
 * (2xx), is skipped (disabled or deleted), or has had no failed delivery for `quietMs`. A failed
 * delivery of a new webhook while the table is full is counted in
 * `oiq_webhook_failing_overflow_total` instead of tracked. Labels are the company slug and the
 * webhook id only (never the URL: it may carry a token).
 *
 * Each sender copy exports what it saw itself: aggregate with max by (company, webhook).
 */
export interface FailingWebhooksOptions {
  /** Series at most in this process; 0 exports none (only the overflow counter). Default 200. */
  maxSeries?: number;
  /** A webhook with no failed delivery for this long is no longer shown failing. Default 1 h. */
  quietMs?: number;
  now?: () => number;
}

export const FAILING_WEBHOOKS_DEFAULTS = { maxSeries: 200, quietMs: 60 * 60 * 1_000 };

/** What the tracker reads of the sender's `finished` event (DeliveryEvents). */
export interface FinishedDelivery {
  result: { outcome: string };
  job: { companySlug: string; webhookId: string };
}

export function failingWebhookMetrics(registry: Registry, options: FailingWebhooksOptions = {}) {
  const maxSeries = options.maxSeries ?? FAILING_WEBHOOKS_DEFAULTS.maxSeries;
  const quietMs = options.quietMs ?? FAILING_WEBHOOKS_DEFAULTS.quietMs;
  const now = options.now ?? (() => Date.now());
  const failing = new Map<string, { company: string; webhook: string; lastFailedAt: number }>();
  const overflow = new Counter({
    name: 'oiq_webhook_failing_overflow_total',
    help: 'Failed deliveries (after the retry) of webhooks not shown in oiq_webhook_failing because this process already shows its maximum',
    registers: [registry],
  });
  overflow.inc(0);
  const expire = (): void => {
    const before = now() - quietMs;
    for (const [key, entry] of failing) if (entry.lastFailedAt <= before) failing.delete(key);
  };
  new Gauge({
    name: 'oiq_webhook_failing',
    help: 'Webhooks whose last delivery in this process failed after its retry (1), within the quiet period; at most a set number of series',
    labelNames: ['company', 'webhook'] as const,
    registers: [registry],
    collect() {
      expire();
      this.reset();
      for (const { company, webhook } of failing.values()) this.set({ company, webhook }, 1);
    },
  });

  return {
    /** The sender's `finished` event: a failure marks the webhook, a delivery or a skip clears it. */
    finished({ result, job }: FinishedDelivery): void {
      const key = `${job.companySlug}\n${job.webhookId}`;
      if (result.outcome === 'delivered' || result.outcome === 'skipped') {
        failing.delete(key);
        return;
      }
      // Refused (destination policy) has its own alert and share; it does not say the endpoint is down.
      if (result.outcome !== 'failed') return;
      const entry = failing.get(key);
      if (entry) {
        entry.lastFailedAt = now();
        return;
      }
      if (failing.size >= maxSeries) expire();
      if (failing.size >= maxSeries) {
        overflow.inc();
        return;
      }
      failing.set(key, { company: job.companySlug, webhook: job.webhookId, lastFailedAt: now() });
    },
    /** Webhooks shown failing now (for tests and logs). */
    get size(): number {
      expire();
      return failing.size;
    },
  };
}

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { QUEUE_NAMES } from '@outboundiq/core';
import { createMetricsRegistry, registerBacklogGauges } from '@outboundiq/runtime';
import { checkAppConfig, podEnv } from '../src/app-config.js';
import { kustomize, loadYaml, repoPath, type Doc } from '../src/kustomize.js';
import { evaluate, parseAggregatedSelector, parseExposition, type AggregatedSelector, type Sample } from '../src/prometheus.js';

/**
 * KEDA must see the whole backlog: the delivery jobs waiting in every shard's queue, added up. A
 * `redis` trigger per shard's wait list would not do (the HPA takes the max of its triggers), so the
 * trigger asks Prometheus for the sum the apps export. These tests run the shipped query over what
 * runtime's own gauges export, never over metric names copied here.
 */
const K8S = repoPath('infra/k8s');

describe('components/sender-keda', () => {
  const [scaled, ...others] = loadYaml(join(K8S, 'components/sender-keda/scaledobject.yaml'));

  it('ships no TriggerAuthentication: KEDA reads Prometheus, not Redis', () => {
    expect(others).toEqual([]);
  });

  it('sums every shard\'s waiting jobs with the query it ships (before an overlay adds a namespace)', async () => {
    const query = backlogQuery(scaled!);
    expect(query.matchers).not.toHaveProperty('namespace');
    await expectWholeBacklog(query, 'oiq-prod');
  });
});

describe('overlay prod-keda', () => {
  const docs = kustomize(join(K8S, 'overlays/prod-keda'));
  const scaled = docs.find((d) => d.kind === 'ScaledObject' && d.metadata.name === 'oiq-sender')!;

  it('sums every shard\'s waiting jobs of this stack only, at 256 per sender copy', async () => {
    const query = backlogQuery(scaled);
    // One Prometheus may watch several stacks: the query keeps to the ScaledObject's namespace.
    expect(query.matchers.namespace).toBe(scaled.metadata.namespace);
    await expectWholeBacklog(query, scaled.metadata.namespace);
  });

  it('reads it from an app Prometheus scrapes without a token: the batcher', async () => {
    expect(readFileSync(repoPath('apps/batcher/src/app.ts'), 'utf8')).toContain('registerBacklogGauges(');
    const batcher = docs.find((d) => d.kind === 'Deployment' && d.metadata.name === 'oiq-batcher')!;
    // The port the batcher serves /metrics on, as the batcher itself reads its pod's environment.
    const check = await checkAppConfig('batcher', podEnv(docs, 'batcher', { REDIS_URL: 'redis://redis.example.com:6379' }));
    if (!check.ok) throw new Error(`the batcher refuses its pod's configuration: ${check.error}`);
    expect(batcher.spec.template.metadata.annotations).toMatchObject({
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': String(check.config.PORT),
      'prometheus.io/path': '/metrics',
    });
  });
});

/** One prometheus trigger on one aggregated selector, the 256-waiting-jobs-per-copy target, and no silent 0. */
function backlogQuery(scaled: Doc): AggregatedSelector {
  // One trigger: the HPA combines several by max, never by sum.
  expect(scaled.spec.triggers).toHaveLength(1);
  const [trigger] = scaled.spec.triggers;
  expect(trigger.type).toBe('prometheus');
  expect(new URL(trigger.metadata.serverAddress).protocol).toMatch(/^https?:$/);
  expect(Number(trigger.metadata.threshold)).toBe(256);
  // An empty answer must be an error (the HPA holds its count), not 0 (senders cut to the minimum).
  expect(trigger.metadata.ignoreNullValues).toBe('false');
  return parseAggregatedSelector(trigger.metadata.query);
}

/**
 * The query, over what the apps really export (runtime's gauges fed S shards' job counts) as
 * Prometheus stores it from two copies of the batcher, answers the waiting jobs of every shard
 * together: not one shard's, not once per copy, not delayed jobs, not another stack's.
 */
async function expectWholeBacklog(query: AggregatedSelector, namespace: string): Promise<void> {
  const scrape = async (waiting: number[]): Promise<Sample[]> => {
    const metrics = createMetricsRegistry({ defaultMetrics: false });
    const queues = waiting.map((n) => ({ name: QUEUE_NAMES.deliveries, getJobCounts: async () => ({ waiting: n, active: 5, delayed: 1_000, failed: 9 }) }));
    registerBacklogGauges(metrics.registry, { queues });
    expect(metrics.registry.getSingleMetric(query.metric)).toBeDefined();
    return parseExposition((await metrics.render()).body);
  };
  const target = (samples: Sample[], labels: Record<string, string>) => samples.map((s) => ({ ...s, labels: { ...s.labels, ...labels } }));
  const waiting = [300, 0, 512, 41, 7, 256, 90, 3];
  const ours = await scrape(waiting);
  const stored = [
    ...target(ours, { namespace, pod: 'oiq-batcher-a' }),
    ...target(ours, { namespace, pod: 'oiq-batcher-b' }),
    ...(query.matchers.namespace === undefined ? [] : target(await scrape([20_000]), { namespace: 'oiq-elsewhere', pod: 'oiq-batcher-c' })),
  ];
  expect(evaluate(query, stored)).toBe(waiting.reduce((a, b) => a + b, 0));
  // The per-shard gauge says the same, shard by shard.
  const perShard = ours.filter((s) => s.labels.shard !== undefined && s.labels.state === 'waiting');
  expect(perShard.map((s) => [Number(s.labels.shard), s.value]).sort((a, b) => a[0]! - b[0]!)).toEqual(waiting.map((n, k) => [k, n]));
}

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { createKeys } from '@outboundiq/core';
import {
  batcherMetrics, createMetricsRegistry, deadLetterMetrics, failingWebhookMetrics, producerMetrics, registerBacklogGauges, registerRedisMemoryGauges,
  registerSenderSlotGauges, senderMetrics, watchMemoryPressure,
} from '@outboundiq/runtime';
import { requireTools } from '@outboundiq/testkit';
import { kustomize, loadYaml, repoPath, type Doc } from '../src/kustomize.js';

const OBS = repoPath('infra/observability');
const rulesFile = loadYaml(`${OBS}/rules.yml`)[0]!;
const groups = rulesFile.groups as { name: string; rules: Doc[] }[];
const alerts = groups.flatMap((g) => g.rules).filter((r) => r.alert !== undefined);
const records = groups.flatMap((g) => g.rules).filter((r) => r.record !== undefined);
const dashboard = JSON.parse(readFileSync(`${OBS}/grafana-dashboard.json`, 'utf8')) as Doc;
const panels = dashboard.panels as Doc[];
const queries = panels.flatMap((p) => (p.targets as Doc[]).map((t) => String(t.expr)));

const promtool = (...args: string[]) => {
  requireTools(['promtool'], 'the alert rules are checked and unit-tested with it');
  return execFileSync('promtool', args, { cwd: OBS, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
};

/** Every metric name the apps can export, from the runtime's own definitions (no Redis needed to list them). */
function exportedMetricNames(): Set<string> {
  const { registry } = createMetricsRegistry();
  const keys = createKeys('oiq', 1);
  const fakeQueue = { name: 'deliveries', getJobCounts: async () => ({}) };
  const fakeRedis = {} as never;
  producerMetrics(registry);
  batcherMetrics(registry);
  senderMetrics(registry);
  registerBacklogGauges(registry, { queues: [fakeQueue], redis: fakeRedis, keys });
  registerSenderSlotGauges(registry, { inUse: 0 }, 1);
  deadLetterMetrics(registry);
  failingWebhookMetrics(registry);
  registerRedisMemoryGauges(registry, fakeRedis);
  watchMemoryPressure({ limitBytes: 1, logger: { warn() {}, info() {} } as never, registry, rss: () => 0 }).stop();
  const names = new Set<string>(['up']);
  for (const metric of registry.getMetricsAsArray()) {
    const { name, type } = metric as unknown as { name: string; type: string };
    names.add(name);
    if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(name + suffix);
  }
  return names;
}

/** Metric names a PromQL expression reads (identifiers before a selector, range or aggregation-free use). */
function metricsIn(expr: string): string[] {
  const withoutStrings = expr.replace(/"[^"]*"/g, '""').replace(/\{\{[^}]*\}\}/g, '');
  const words = [...withoutStrings.matchAll(/\b([a-z_:][a-z0-9_:]*)\s*(?=\{|\[|\)|$|\s*[><=!/*+-])/gi)].map((m) => m[1]!);
  const keywords = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'le', 'bool', 'offset']);
  return words.filter((w) => !keywords.has(w) && (w.startsWith('oiq_') || w.startsWith('process_') || w === 'up'));
}

describe('the alerting and recording rules (infra/observability/rules.yml)', () => {
  it('pass `promtool check rules`', () => {
    expect(promtool('check', 'rules', 'rules.yml')).toMatch(/SUCCESS: \d+ rules found/);
  });

  it('pass their unit tests (`promtool test rules rules.test.yml`)', () => {
    expect(promtool('test', 'rules', 'rules.test.yml')).toMatch(/SUCCESS/);
  });

  it('have, for every alert, series that must fire it and series that must not', () => {
    const tests = (loadYaml(`${OBS}/rules.test.yml`)[0]!.tests as Doc[]);
    for (const { alert } of alerts) {
      const cases = tests.flatMap((t) => ((t.alert_rule_test ?? []) as Doc[]).filter((a) => a.alertname === alert).map((a) => ({ test: t, a })));
      const firing = cases.filter(({ a }) => (a.exp_alerts as Doc[]).length > 0);
      expect([alert, firing.length > 0]).toEqual([alert, true]);
      // Must not fire: an expected-empty case, or input series of a namespace the firing case leaves out.
      const quietElsewhere = firing.some(({ test, a }) => {
        const fired = new Set((a.exp_alerts as Doc[]).map((e) => e.exp_labels.namespace));
        return (test.input_series as Doc[]).some((s) => !fired.has(/namespace="([^"]+)"/.exec(s.series)?.[1]));
      });
      expect([alert, quietElsewhere || cases.some(({ a }) => (a.exp_alerts as Doc[]).length === 0)]).toEqual([alert, true]);
    }
  });

  it('read only metrics the apps export, and say which runbook section applies', () => {
    const exported = exportedMetricNames();
    const recorded = new Set(records.map((r) => String(r.record)));
    const readme = readFileSync(repoPath('infra/README.md'), 'utf8');
    for (const rule of [...records, ...alerts]) {
      for (const name of metricsIn(String(rule.expr))) expect([rule.alert ?? rule.record, name, exported.has(name) || recorded.has(name)]).toEqual([rule.alert ?? rule.record, name, true]);
    }
    for (const { alert, annotations } of alerts) {
      expect(annotations.runbook).toBe(`infra/README.md#${String(alert).toLowerCase()}`);
      // The README has a heading of that name (GitHub's anchor: the heading in lower case).
      expect([alert, new RegExp(`^#### ${alert}$`, 'm').test(readme)]).toEqual([alert, true]);
    }
  });

  it('are the same groups in the Prometheus Operator\'s PrometheusRule', () => {
    const [rule] = loadYaml(`${OBS}/prometheus-rule.yaml`);
    expect(rule!.kind).toBe('PrometheusRule');
    expect(rule!.spec.groups).toEqual(groups);
  });
});

describe('the Grafana dashboard (infra/observability/grafana-dashboard.json)', () => {
  it('imports into Grafana: a schema version, unique panel ids, the datasource as a variable', () => {
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(dashboard.uid).toEqual(expect.any(String));
    const ids = panels.map((p) => p.id);
    expect(ids.every((id) => Number.isInteger(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    const variables = dashboard.templating.list as Doc[];
    expect(variables.find((v) => v.name === 'datasource')).toMatchObject({ type: 'datasource', query: 'prometheus' });
    for (const panel of panels) {
      expect([panel.title, panel.datasource]).toEqual([panel.title, { type: 'prometheus', uid: '${datasource}' }]);
      expect(panel.targets.length).toBeGreaterThan(0);
      for (const target of panel.targets as Doc[]) expect([panel.title, target.datasource]).toEqual([panel.title, { type: 'prometheus', uid: '${datasource}' }]);
    }
    // Panels do not overlap on the grid.
    const cells = new Set<string>();
    for (const { gridPos: g } of panels) {
      for (let x = g.x; x < g.x + g.w; x++) for (let y = g.y; y < g.y + g.h; y++) {
        expect(cells.has(`${x},${y}`)).toBe(false);
        cells.add(`${x},${y}`);
      }
    }
  });

  it('queries only metrics the apps export, in the namespace chosen', () => {
    const exported = exportedMetricNames();
    for (const query of queries) {
      const names = metricsIn(query);
      expect([query, names.length > 0]).toEqual([query, true]);
      for (const name of names) expect([query, name, exported.has(name)]).toEqual([query, name, true]);
      expect(query).toContain('namespace=~"$namespace"');
    }
  });

  it('has a panel for each thing an operator watches, described in infra/README.md', () => {
    const readme = readFileSync(repoPath('infra/README.md'), 'utf8');
    const needed = ['oiq_deliveries_total{', 'outcome="refused"', 'oiq_oldest_pending_dial_age_seconds', 'oiq_shard_queue_jobs', 'oiq_batcher_batch_size_dials',
      'oiq_delivery_latency_seconds_bucket', 'oiq_sender_slots_in_use', 'oiq_batcher_dead_lettered_total', 'oiq_redis_memory_used_bytes', 'oiq_redis_maxmemory_bytes', 'up{', 'oiq_webhook_failing{'];
    for (const part of needed) expect([part, queries.some((q) => q.includes(part))]).toEqual([part, true]);
    for (const panel of panels) expect([panel.title, readme.includes(`**${panel.title}**`)]).toEqual([panel.title, true]);
  });
});

describe.each(['prod', 'prod-keda', 'prod-cluster'])('overlay %s: scraping and rules (components/monitoring)', (overlay) => {
  const docs = kustomize(repoPath('infra/k8s/overlays', overlay));
  const find = (kind: string) => docs.filter((d) => d.kind === kind);
  const deployment = (app: string) => docs.find((d) => d.kind === 'Deployment' && d.metadata.name === `oiq-${app}`)!;
  const workerPaths = readFileSync(repoPath('packages/runtime/src/health.ts'), 'utf8');
  const adminPaths = readFileSync(repoPath('apps/admin/src/routes/metrics.ts'), 'utf8');

  it('scrapes the batcher and sender pods on the port and path their health server serves, as job batcher and sender', () => {
    const [monitor, ...more] = find('PodMonitor');
    expect(more).toEqual([]);
    const selected = ['batcher', 'sender', 'admin'].filter((app) => {
      const labels = deployment(app).spec.template.metadata.labels as Record<string, string>;
      return (monitor!.spec.selector.matchExpressions as Doc[]).every((e) => e.operator === 'In' && (e.values as string[]).includes(labels[e.key]!));
    });
    expect(selected).toEqual(['batcher', 'sender']);
    for (const app of selected) {
      const pod = deployment(app).spec.template;
      // The job label names the app, as the rules' `up{job=~"batcher|sender|admin"}` expects.
      expect(pod.metadata.labels[monitor!.spec.jobLabel]).toBe(app);
      const [endpoint] = monitor!.spec.podMetricsEndpoints as Doc[];
      const port = (pod.spec.containers[0].ports as Doc[]).find((p) => p.name === endpoint!.port);
      expect(port?.containerPort).toBe(Number(pod.metadata.annotations['prometheus.io/port']));
      expect(endpoint!.path).toBe(pod.metadata.annotations['prometheus.io/path']);
      expect(workerPaths).toContain(`path === '${endpoint!.path}'`);
    }
  });

  it('scrapes the admin Service with a bearer token from a Secret, as job admin', () => {
    const [monitor, ...more] = find('ServiceMonitor');
    expect(more).toEqual([]);
    const service = docs.find((d) => d.kind === 'Service' && d.metadata.name === 'oiq-admin')!;
    expect(monitor!.spec.selector.matchLabels).toEqual({ 'app.kubernetes.io/name': 'oiq-admin' });
    expect(Object.entries(monitor!.spec.selector.matchLabels).every(([k, v]) => service.metadata.labels[k] === v)).toBe(true);
    expect(service.metadata.labels[monitor!.spec.jobLabel]).toBe('admin');
    const [endpoint] = monitor!.spec.endpoints as Doc[];
    expect((service.spec.ports as Doc[]).some((p) => p.name === endpoint!.port)).toBe(true);
    expect(adminPaths).toContain(`app.get('${endpoint!.path}'`);
    expect(endpoint!.authorization).toEqual({ type: 'Bearer', credentials: { name: 'oiq-metrics-token', key: 'token' } });
  });

  it('applies the rules of rules.yml in the stack\'s namespace', () => {
    const [rule, ...more] = find('PrometheusRule');
    expect(more).toEqual([]);
    expect(rule!.metadata.namespace).toBe('oiq-prod');
    expect(rule!.spec.groups).toEqual(groups);
  });
});

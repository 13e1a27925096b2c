import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createKeys } from '@outboundiq/core';
import {
  REPO_ROOT, freePort, sleep, spawnApp, startPrometheus, startRedisServer,
  type AppProcess, type PrometheusServer, type PromSeries, type RedisServer,
} from '@outboundiq/testkit';
import { sampleDial, startPipeline, type Pipeline } from '../src/harness.js';

const OBS = `${REPO_ROOT}infra/observability`;
const ADMIN_TOKEN = 'observability-scrape-token';

const dashboard = JSON.parse(readFileSync(`${OBS}/grafana-dashboard.json`, 'utf8')) as { panels: { title: string; targets: { expr: string }[] }[] };
/** Grafana's variables as a dashboard user would have them: every namespace, a rate window the short test fills. */
const asGrafanaWould = (expr: string) => expr.replaceAll('$namespace', '.*').replaceAll('$__rate_interval', '1m');

/**
 * A real Prometheus, with the shipped rules, scrapes the batcher, sender and admin of a running
 * pipeline every second while dials flow to one healthy and one failing webhook: every dashboard
 * query and recording rule answers, and the failure alert's expression is empty while only the
 * healthy webhook receives and non-empty once the failing one's deliveries fail; the per-webhook
 * alert's expression names the failing webhook only, and nothing once it delivers again.
 */
describe('Prometheus scraping the running apps, with the shipped rules and dashboard', () => {
  let redis: RedisServer;
  let p: Pipeline;
  let admin: AppProcess;
  let prom: PrometheusServer;

  /** Polls an instant query until `ok` holds for its answer (each rule is evaluated every second). */
  const until = async (expr: string, ok: (r: PromSeries[]) => boolean, what: string, timeoutMs = 30_000): Promise<PromSeries[]> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const result = await prom.query(expr);
      if (ok(result)) return result;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${expr} answered ${JSON.stringify(result)}\n${prom.output()}`);
      await sleep(250);
    }
  };
  const value = (r: PromSeries[]) => (r.length === 1 ? Number(r[0]!.value[1]) : NaN);

  beforeAll(async () => {
    // A Redis of our own with a maxmemory, so Redis memory against its limit has a limit to show.
    redis = await startRedisServer({ extraArgs: ['--maxmemory', '256mb'] });
    p = await startPipeline('observability', { RETRY_DELAY_MS: '50', MEMORY_SOFT_LIMIT_MB: '4096', LOG_LEVEL: 'info' }, { redisUrl: redis.url });
    const adminPort = await freePort();
    admin = spawnApp('admin', { PORT: String(adminPort), HOST: '127.0.0.1', REDIS_URL: redis.url, KEY_PREFIX: p.prefix, ADMIN_API_TOKENS: ADMIN_TOKEN, ALLOW_PRIVATE_DESTINATIONS: 'true' });
    await admin.waitForLog((l) => l.msg === 'admin started', 15_000);
    const target = (job: string, port: number, extra = '') => `
  - job_name: ${job}
    static_configs: [{ targets: ['127.0.0.1:${port}'] }]${extra}`;
    prom = await startPrometheus(`
global: { scrape_interval: 1s, evaluation_interval: 1s }
rule_files: ['${OBS}/rules.yml']
scrape_configs:${target('batcher', p.healthPort('batcher'))}${target('sender', p.healthPort('sender'))}${target('admin', adminPort, `
    authorization: { type: Bearer, credentials: ${ADMIN_TOKEN} }`)}
`);
  }, 60_000);

  afterAll(async () => {
    await prom?.stop();
    await admin?.kill('SIGTERM');
    await p?.close();
    await redis?.stop();
  });

  it('scrapes all three apps; the failure alerts are empty for the healthy webhook and fire on the failing one; every panel and recording rule has data', async () => {
    await until('sum by (job) (up)', (r) => r.length === 3 && r.every((s) => s.value[1] === '1'), 'batcher, sender and admin up');
    // The shipped rules, as Prometheus loaded them.
    const rules = await prom.rules();
    expect(rules.filter((r) => r.type === 'alerting').length).toBeGreaterThan(0);

    // Only the healthy webhook receives: deliveries succeed, the failure share is there and 0, the alert expression empty.
    const healthy = await p.createWebhook('obs-healthy', '/healthy');
    const failing = await p.createWebhook('obs-failing', '/failing');
    p.receiver.respond('/failing', () => ({ status: 500 }));
    // One entry nobody published through the producer: it goes to the dead-letter stream, and is counted.
    await p.redis.xadd(createKeys(p.prefix, 1).dials('obs-healthy'), '*', 'd', 'not json {');
    for (let n = 0; n < 6; n++) {
      await p.producer.publish(sampleDial('obs-healthy', n));
      await sleep(50);
    }
    await until('sum(oiq_deliveries_total{outcome="delivered_first_try"})', (r) => value(r) >= 6, 'the healthy deliveries, scraped');
    await until('sum(oiq_batcher_dead_lettered_total)', (r) => value(r) === 1, 'the poison entry counted');
    const failureAlert = rules.find((r) => r.name === 'OiqDeliveriesFailing')!.query;
    const webhookAlert = rules.find((r) => r.name === 'OiqWebhookFailing')!.query;
    await until('oiq:deliveries_failed:ratio_rate5m', (r) => r.length === 1 && value(r) === 0, 'the failure share recorded as 0');
    expect(await prom.query(failureAlert)).toEqual([]);
    expect(await prom.query(webhookAlert)).toEqual([]);

    // The failing webhook's deliveries fail after their retry, while the healthy one's go on
    // succeeding: the same expression now answers.
    for (let n = 0; n < 12; n++) {
      await p.producer.publish(sampleDial('obs-failing', n));
      if (n % 2 === 0) await p.producer.publish(sampleDial('obs-healthy', 100 + n));
      await sleep(50);
    }
    await until('sum(oiq_deliveries_total{outcome="failed"})', (r) => value(r) >= 12, 'the failed deliveries, scraped');
    await until('sum(oiq_delivered_dials_total)', (r) => value(r) >= 12, 'the healthy webhook\'s dials meanwhile, scraped');
    const fired = await until(failureAlert, (r) => r.length > 0, 'the failure alert expression');
    // One stack here (no namespace label): one series, the failure share.
    expect(fired.map((s) => s.metric)).toEqual([{ __name__: 'oiq:deliveries_failed:ratio_rate5m' }]);
    expect(Number(fired[0]!.value[1])).toBeGreaterThan(0.05);
    expect(p.receiver.requestsTo('/failing').length).toBe(24);
    // The per-webhook alert's expression names the failing webhook, and only it: not the healthy one,
    // which delivered throughout.
    const failingWebhook = { __name__: 'oiq:webhook_failing:max', company: 'obs-failing', webhook: failing.id };
    const named = await until(webhookAlert, (r) => r.length > 0, 'the per-webhook failure alert expression');
    expect(named.map((s) => s.metric)).toEqual([failingWebhook]);
    expect(await prom.query(`oiq_webhook_failing{webhook="${healthy.id}"}`)).toEqual([]);

    const empty: string[] = [];
    for (const rule of rules.filter((r) => r.type === 'recording')) {
      await until(rule.name, (r) => r.length > 0, `recording rule ${rule.name}`, 15_000).catch(() => empty.push(rule.name));
    }
    for (const panel of dashboard.panels) {
      for (const target of panel.targets) {
        const expr = asGrafanaWould(target.expr);
        await until(expr, (r) => r.length > 0, `panel ${panel.title}`, 15_000).catch(() => empty.push(`${panel.title}: ${expr}`));
      }
    }
    expect(empty).toEqual([]);

    // The endpoint answers again: its next delivery succeeds and the webhook leaves the alert's answer.
    p.receiver.respond('/failing', () => ({ status: 200 }));
    expect((await prom.query(webhookAlert)).map((s) => s.metric)).toEqual([failingWebhook]);
    await p.producer.publish(sampleDial('obs-failing', 100));
    await p.receiver.waitForRequests('/failing', 25);
    await until(webhookAlert, (r) => r.length === 0, 'the recovered webhook gone from the per-webhook alert expression');
  }, 120_000);
});

import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { commonEnvShape, parseEnv } from '@outboundiq/core';
import { APPS, checkAppConfig, podEnv, type App, type ConfigCheck, type Settings } from '../src/app-config.js';
import { containersOf, fileExists, kustomize, loadYaml, repoPath, type Doc } from '../src/kustomize.js';

const K8S = repoPath('infra/k8s');
const OVERLAYS = ['dev', 'prod', 'prod-keda', 'prod-cluster'] as const;

/** A whole delivery with its retry: 2 attempts of 10 s and the 0.5 s pause (CONTRACT section 1). */
const WHOLE_DELIVERY_MS = 2 * 10_000 + 500;
/** Variables that come from the Secret, never the ConfigMap: they carry credentials. */
const SECRET_VARS = ['SECRETS_ENCRYPTION_KEY', 'ADMIN_API_TOKENS', 'REDIS_URL', 'REDIS_CLUSTER_NODES'];
/** Stand-ins for the Secret a prod operator makes (the prod overlays generate none). */
const OPERATOR_SECRETS = {
  REDIS_URL: 'rediss://:password@redis.example.com:6379',
  SECRETS_ENCRYPTION_KEY: Buffer.alloc(32, 1).toString('base64'),
  ADMIN_API_TOKENS: 'operator-token',
};

/** The admin's shutdown deadline is fixed in apps/admin/src/main.ts, not read from SHUTDOWN_TIMEOUT_MS. */
const ADMIN_SHUTDOWN_MS = 10_000;

/** Paths each app serves, read from its code: the workers through runtime's health server, admin through fastify routes. */
function servedPaths(app: App): string[] {
  const source = app === 'admin'
    ? readFileSync(repoPath('apps/admin/src/routes/health.ts'), 'utf8')
    : readFileSync(repoPath('packages/runtime/src/health.ts'), 'utf8');
  // The workers serve runtime's health server (directly, or through the start that orders it before the Redis checks).
  if (app !== 'admin') expect(readFileSync(repoPath(`apps/${app}/src/app.ts`), 'utf8')).toMatch(/\bstartHealth(Server|ThenPrepareRedis)\(/);
  return [...source.matchAll(app === 'admin' ? /app\.get\('(\/[a-z]+)'/g : /path === '(\/[a-z]+)'/g)].map((m) => m[1]!);
}

const byKind = (docs: Doc[], kind: string) => docs.filter((d) => d.kind === kind);
const named = (docs: Doc[], kind: string, name: string) => docs.find((d) => d.kind === kind && d.metadata.name === name);
const deployment = (docs: Doc[], app: App) => named(docs, 'Deployment', `oiq-${app}`)!;
const configMap = (docs: Doc[]) => byKind(docs, 'ConfigMap').find((d) => String(d.metadata.name).startsWith('oiq-config'))!;
/** The documented example of the cluster's seeds, in the prod-cluster overlay's comments. */
const clusterSeedsExample = () => /REDIS_CLUSTER_NODES='([^']+)'/.exec(readFileSync(join(K8S, 'overlays/prod-cluster/kustomization.yaml'), 'utf8'))![1]!;

describe('every manifest parses', () => {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (/\.ya?ml$/.test(name)) files.push(path);
    }
  };
  walk(K8S);

  it.each(files.map((f) => [relative(K8S, f), f]))('%s', (_name, file) => {
    const docs = loadYaml(file);
    expect(docs.length).toBeGreaterThan(0);
    for (const doc of docs) expect(doc).toMatchObject({ apiVersion: expect.any(String), kind: expect.any(String) });
  });
});

describe.each(OVERLAYS)('overlay %s', (overlay) => {
  const dir = join(K8S, 'overlays', overlay);
  const docs = kustomize(dir);
  const namespace = overlay === 'dev' ? 'oiq-dev' : 'oiq-prod';
  const config = configMap(docs).data as Record<string, string>;
  // On a cluster the Secret gives the seeds and may leave REDIS_URL out: checked without it.
  const operatorSecrets: Record<string, string> = overlay === 'prod-cluster'
    ? { ...Object.fromEntries(Object.entries(OPERATOR_SECRETS).filter(([key]) => key !== 'REDIS_URL')), REDIS_CLUSTER_NODES: clusterSeedsExample() }
    : OPERATOR_SECRETS;
  // Each app's own answer to the environment its pod gets (`node dist/main.js --check-config`).
  const checks = new Map<App, ConfigCheck>();
  beforeAll(async () => {
    await Promise.all(APPS.map(async (app) => checks.set(app, await checkAppConfig(app, podEnv(docs, app, operatorSecrets)))));
  });
  const settings = (app: App): Settings => {
    const check = checks.get(app)!;
    if (!check.ok) throw new Error(`${app} refuses its pod's configuration: ${check.error}`);
    return check.config;
  };

  it.each(APPS)('%s: accepts the configuration its pod gets (its own --check-config)', (app) => {
    expect([app, checks.get(app)]).toEqual([app, { ok: true, config: expect.any(Object) }]);
  });

  it('renders the three apps, their PDBs and the admin Service into one namespace', () => {
    for (const app of APPS) {
      expect(deployment(docs, app)).toBeDefined();
      expect(named(docs, 'PodDisruptionBudget', `oiq-${app}`)).toBeDefined();
    }
    expect(named(docs, 'Service', 'oiq-admin')).toBeDefined();
    for (const doc of docs) {
      expect(doc.metadata.name).toEqual(expect.any(String));
      if (doc.kind !== 'Namespace') expect([doc.kind, doc.metadata.name, doc.metadata.namespace]).toEqual([doc.kind, doc.metadata.name, namespace]);
    }
  });

  it.each(APPS)('%s: runs its built entry point from the image', (app) => {
    const [container, ...others] = containersOf(deployment(docs, app));
    expect(others).toEqual([]);
    expect(container!.command).toEqual(['node', `apps/${app}/dist/main.js`]);
    expect(container!.args).toBeUndefined();
    // The image's WORKDIR is /app and it holds apps/<app> as `pnpm deploy` made it from the build.
    expect(fileExists(repoPath(`apps/${app}/dist/main.js`))).toBe(true);
    const images = new Set(APPS.map((a) => containersOf(deployment(docs, a))[0]!.image));
    expect(images.size).toBe(1);
    expect([...images][0]).toMatch(/^registry\.example\.com\/outboundiq\/webhooks:[\w.-]+$/);
  });

  it.each(APPS)('%s: probes /healthz and /readyz on the port it really serves', (app) => {
    const container = containersOf(deployment(docs, app))[0]!;
    // The port the app listens on with this pod's environment, in its own words.
    const port = settings(app).PORT;
    expect(port).toEqual(expect.any(Number));
    const http = (container.ports as Doc[]).find((p) => p.name === 'http')!;
    expect(http.containerPort).toBe(port);
    const served = servedPaths(app);
    for (const [probe, path] of [['livenessProbe', '/healthz'], ['readinessProbe', '/readyz']] as const) {
      expect(container[probe].httpGet).toEqual({ path, port: 'http' });
      expect(served).toContain(path);
      expect(container[probe].timeoutSeconds).toBeGreaterThanOrEqual(2); // readiness pings Redis with a 1 s deadline
    }
  });

  it.each(APPS)('%s: has requests and limits', (app) => {
    const { resources } = containersOf(deployment(docs, app))[0]!;
    for (const bound of ['requests', 'limits']) expect(resources[bound]).toEqual({ cpu: expect.anything(), memory: expect.any(String) });
  });

  it.each(APPS)('%s: outlives a whole delivery and its shutdown deadline before being killed', (app) => {
    const pod = deployment(docs, app).spec.template.spec;
    const graceMs = pod.terminationGracePeriodSeconds * 1_000;
    const container = pod.containers[0];
    const preStopMs = container.lifecycle?.preStop ? Number(container.lifecycle.preStop.exec.command[1]) * 1_000 : 0;
    if (app === 'admin') {
      expect(graceMs).toBeGreaterThan(preStopMs + ADMIN_SHUTDOWN_MS);
      return;
    }
    const shutdownMs = settings(app).SHUTDOWN_TIMEOUT_MS as number;
    // The deadline leaves in-flight deliveries time to end (plus closing Redis), and the process
    // ends by itself before Kubernetes sends SIGKILL.
    expect(shutdownMs).toBeGreaterThan(WHOLE_DELIVERY_MS + 2_000);
    expect(graceMs).toBeGreaterThan(WHOLE_DELIVERY_MS + 2_000);
    expect(graceMs).toBeGreaterThanOrEqual(shutdownMs + preStopMs + 5_000);
  });

  it('runs every workload as non-root with a read-only root, no privilege escalation, no capabilities and RuntimeDefault seccomp', () => {
    const workloads = docs.filter((d) => ['Deployment', 'StatefulSet'].includes(d.kind));
    expect(workloads.length).toBe(overlay === 'dev' ? 4 : 3);
    for (const w of workloads) {
      const pod = w.spec.template.spec;
      expect([w.metadata.name, pod.securityContext]).toEqual([w.metadata.name, expect.objectContaining({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } })]);
      expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
      expect(pod.automountServiceAccountToken).toBe(false);
      for (const c of containersOf(w)) {
        expect([w.metadata.name, c.securityContext]).toEqual([w.metadata.name, {
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          privileged: false,
          capabilities: { drop: ['ALL'] },
        }]);
      }
    }
  });

  it('takes configuration from the ConfigMap and the secrets only from the Secret', () => {
    expect(config).toMatchObject({ NODE_ENV: 'production', KEY_PREFIX: 'oiq', ALLOW_PRIVATE_DESTINATIONS: 'false' });
    for (const secret of SECRET_VARS) expect(config).not.toHaveProperty(secret);
    const secretRefs = new Map<string, Set<string>>();
    for (const app of APPS) {
      const c = containersOf(deployment(docs, app))[0]!;
      expect(c.envFrom).toEqual([{ configMapRef: { name: configMap(docs).metadata.name } }]);
      for (const e of c.env as Doc[]) {
        if (SECRET_VARS.includes(e.name)) {
          expect([app, e.name, e.value]).toEqual([app, e.name, undefined]);
          const ref = e.valueFrom.secretKeyRef;
          expect(ref.key).toBe(e.name);
          secretRefs.set(ref.name, (secretRefs.get(ref.name) ?? new Set()).add(ref.key));
        }
      }
      const names = (c.env as Doc[]).map((e) => e.name);
      expect(names).toContain('REDIS_URL');
      // On a cluster the seeds replace REDIS_URL, which the Secret may then leave out.
      const cluster = overlay === 'prod-cluster';
      expect(names.includes('REDIS_CLUSTER_NODES')).toBe(cluster);
      expect(Boolean((c.env as Doc[]).find((e) => e.name === 'REDIS_URL')!.valueFrom.secretKeyRef.optional)).toBe(cluster);
      if (app !== 'batcher') expect(names).toContain('SECRETS_ENCRYPTION_KEY');
      expect(names.includes('ADMIN_API_TOKENS')).toBe(app === 'admin');
    }
    const secrets = byKind(docs, 'Secret');
    if (overlay === 'dev') {
      // Placeholders generated in dev only; the key must be one the apps accept.
      const [name] = [...secretRefs.keys()];
      const secret = secrets.find((s) => s.metadata.name === name)!;
      const data = Object.fromEntries(Object.entries(secret.data as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]));
      // The apps accept them: the --check-config test above ran with exactly these values.
      expect(Object.keys(data).sort()).toEqual([...secretRefs.get(name!)!].sort());
      expect(data.REDIS_URL).toBe('redis://redis:6379');
    } else {
      expect(secrets).toEqual([]); // made by the operator, never in git
    }
  });

  it('gives every app the same SHARDS, from the one ConfigMap, as a value core accepts', () => {
    expect(byKind(docs, 'ConfigMap').filter((d) => String(d.metadata.name).startsWith('oiq-config'))).toHaveLength(1);
    // Written out, not left to the default: the value is the data's for its whole life.
    expect(config.SHARDS).toEqual(expect.any(String));
    const shards = parseEnv(commonEnvShape, config).SHARDS;
    expect(shards).toBe(overlay === 'prod-cluster' ? 16 : 1);
    for (const app of APPS) {
      const c = containersOf(deployment(docs, app))[0]!;
      expect(c.envFrom).toEqual([{ configMapRef: { name: configMap(docs).metadata.name } }]);
      // An `env` entry would win over the ConfigMap for that app alone, and the apps would disagree.
      for (const shared of ['SHARDS', 'KEY_PREFIX']) expect([app, (c.env as Doc[]).map((e) => e.name)]).toEqual([app, expect.not.arrayContaining([shared])]);
    }
    expect(APPS.map((app) => settings(app).SHARDS)).toEqual([shards, shards, shards]);
  });

  it('has a PDB and a selector matching each app\'s pods, and the admin Service reaches the admin port', () => {
    for (const app of APPS) {
      const d = deployment(docs, app);
      const podLabels = d.spec.template.metadata.labels;
      expect(podLabels).toMatchObject(d.spec.selector.matchLabels);
      const pdb = named(docs, 'PodDisruptionBudget', `oiq-${app}`)!;
      expect(podLabels).toMatchObject(pdb.spec.selector.matchLabels);
      expect(pdb.spec.maxUnavailable ?? pdb.spec.minAvailable).toBeDefined();
    }
    const service = named(docs, 'Service', 'oiq-admin')!;
    expect(deployment(docs, 'admin').spec.template.metadata.labels).toMatchObject(service.spec.selector);
    expect(service.spec.ports).toEqual([{ name: 'http', port: 80, targetPort: 'http' }]);
  });

  it('scales the sender with one autoscaler: the CPU HPA, or KEDA on the waiting jobs of every shard', () => {
    const hpa = named(docs, 'HorizontalPodAutoscaler', 'oiq-sender');
    const scaled = named(docs, 'ScaledObject', 'oiq-sender');
    expect(deployment(docs, 'sender').spec.replicas).toBeUndefined();
    if (overlay === 'prod-keda') {
      expect(hpa).toBeUndefined();
      expect(scaled!.spec.scaleTargetRef).toEqual({ name: 'oiq-sender' });
      // One trigger, on the backlog of every shard (keda.test.ts checks its query).
      expect(scaled!.spec.triggers.map((t: Doc) => t.type)).toEqual(['prometheus']);
    } else {
      expect(scaled).toBeUndefined();
      expect(hpa!.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'oiq-sender' });
      expect(hpa!.spec.metrics).toEqual([{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: expect.any(Number) } } }]);
      expect(hpa!.spec.minReplicas).toBeLessThanOrEqual(hpa!.spec.maxReplicas);
    }
  });

  it(overlay === 'prod-cluster' ? 'reads the cluster\'s seeds from the Secret, and its documented example parses' : 'uses one Redis (no REDIS_CLUSTER_NODES anywhere)', () => {
    const seeds = (app: App) => (containersOf(deployment(docs, app))[0]!.env as Doc[]).find((e) => e.name === 'REDIS_CLUSTER_NODES');
    expect(config).not.toHaveProperty('REDIS_CLUSTER_NODES');
    if (overlay !== 'prod-cluster') {
      for (const app of APPS) expect(seeds(app)).toBeUndefined();
      return;
    }
    for (const app of APPS) expect(seeds(app)!.valueFrom).toEqual({ secretKeyRef: { name: 'oiq-secrets', key: 'REDIS_CLUSTER_NODES' } });
    const parsed = parseEnv(commonEnvShape, { ...config, REDIS_CLUSTER_NODES: clusterSeedsExample() });
    expect(parsed.REDIS_CLUSTER_NODES).toMatchObject({ tls: true, password: expect.any(String), nodes: [{ host: expect.stringMatching(/^clustercfg\./), port: 6379 }] });
    expect(parsed.SHARDS).toBe(16);
  });

  it(overlay === 'dev' ? 'runs its own Redis with AOF and noeviction' : 'runs no Redis of its own (managed Redis from the Secret)', () => {
    const redis = named(docs, 'StatefulSet', 'redis');
    if (overlay !== 'dev') {
      expect(redis).toBeUndefined();
      return;
    }
    const args = containersOf(redis!)[0]!.args.join(' ');
    expect(args).toContain('--appendonly yes');
    expect(args).toContain('--maxmemory-policy noeviction');
    expect(named(docs, 'Service', 'redis')!.spec.ports[0].port).toBe(6379);
  });
});

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { createRedisClient, secretBoxFromEnv } from '@outboundiq/core';
import { REPO_ROOT, coverage, deleteKeys, freePort, readmeCommands, runToEnd, spawnApp, uniquePrefix, waitFor } from '@outboundiq/testkit';
import { kustomize, parseYaml, repoPath, type Doc } from '../src/kustomize.js';
import { kubectlTarget, literalKeys, podsMatching, requiredSecretKeys } from '../src/readme-objects.js';

// Every command infra/README.md gives is accounted for here, as in the root README's check
// (system-tests/test/readme-commands.int.test.ts): run in a bounded form by a test of this file, run
// by another test, or listed with the reason it cannot run here. A command that needs a live
// cluster is checked against the manifests it would act on, rendered by `kubectl kustomize` as the
// rest of infra-tests does (no kubectl fails, naming what to install).
type Entry = { how: string; test: string } | { how: string; by: string; holds?: string } | { listed: string };

const OBJECTS = 'the objects, ports and labels it names';
const SECRETS = 'kubectl create secret generic (prod, prod-cluster)';
const APPLY = 'kubectl apply -k (dev, prod, prod-cluster)';
const cluster = (what: string) => `needs a live cluster: checked that ${what} exist in the overlay it acts on`;

const TABLE: Record<string, Entry> = {
  'kubectl kustomize': { test: APPLY, how: 'prose naming the tool; it renders every overlay the README applies' },
  'node apps/<app>/dist/main.js --check-config': { by: 'packages/infra-tests/src/app-config.ts', holds: "'--check-config'", how: 'a template: app-config.test.ts and manifests.test.ts run it for each app with the environment each pod gets' },
  'pnpm build': { by: 'packages/system-tests/test/readme-commands.int.test.ts', holds: "check('pnpm build'", how: 'the root README check runs it as written' },
  'node scripts/test.mjs --selectProjects infra-tests': { test: 'node scripts/test.mjs --selectProjects infra-tests', how: 'with --listTests appended: it selects exactly packages/infra-tests; those tests run in this same pnpm test' },
  'docker build -f infra/docker/Dockerfile -t registry.example.com/outboundiq/webhooks:0.1.0 .': { listed: 'needs a Docker engine, which CI has not; dockerfile.test.ts checks the Dockerfile\'s stages, the files it copies and the commands it runs instead' },
  'docker push registry.example.com/outboundiq/webhooks:0.1.0': { listed: 'needs an image registry and its credentials (registry.example.com is a placeholder)' },
  'pnpm deploy --prod': { listed: 'prose: a step of the Dockerfile\'s build stage, run only by docker build (dockerfile.test.ts checks it is there)' },
  'cd infra/k8s/overlays/dev': { test: 'kustomize edit set image', how: 'the folder is the dev overlay' },
  'kustomize edit set image outboundiq/webhooks=<registry>/outboundiq/webhooks:<tag>': { test: 'kustomize edit set image', how: 'standalone kustomize is not installed (not in Debian; kubectl has no edit): the image it sets, outboundiq/webhooks, is the dev overlay\'s images: entry and every Deployment\'s image' },
  'openssl rand -base64 32': { test: 'openssl rand', how: 'as written: 32 random bytes that core accepts as SECRETS_ENCRYPTION_KEY' },
  'openssl rand -hex 24': { test: 'openssl rand', how: 'as written: 48 hex digits' },
  'kubectl apply -k infra/k8s/overlays/dev': { test: APPLY, how: 'as `kubectl kustomize <overlay>` (apply needs a cluster): renders the three apps into namespace oiq-dev / oiq-prod' },
  'kubectl apply -k infra/k8s/overlays/prod': { test: APPLY, how: 'as above' },
  'kubectl apply -k infra/k8s/overlays/prod-cluster': { test: APPLY, how: 'as above' },
  'kubectl -n oiq-dev rollout status deploy/oiq-batcher deploy/oiq-sender deploy/oiq-admin': { test: OBJECTS, how: cluster('the three Deployments') },
  'kubectl -n oiq-dev port-forward svc/oiq-admin 3000:80': { test: OBJECTS, how: cluster('Service oiq-admin, port 80 to the admin\'s container port 3000') },
  "curl -H 'Authorization: Bearer dev-admin-token' localhost:3000/v1/companies/acme/webhooks": {
    test: 'curl the admin API',
    how: 'as written, against the built admin app on a free port (for localhost:3000) with the dev overlay\'s token: 200 and the company\'s webhooks; the dashboard answers the same token as password',
  },
  'kubectl create namespace oiq-prod': { test: SECRETS, how: 'with --dry-run=client -o json: a Namespace oiq-prod, the prod overlays\' namespace' },
  "kubectl -n oiq-prod create secret generic oiq-secrets --from-literal=REDIS_URL='rediss://:<password>@<host>:6380' --from-literal=SECRETS_ENCRYPTION_KEY=\"$(openssl rand -base64 32)\" --from-literal=ADMIN_API_TOKENS='<token-1>,<token-2>'": {
    test: SECRETS,
    how: 'with --dry-run=client -o json (its openssl line runs too); its keys are exactly those the prod Deployments read from oiq-secrets',
  },
  "kubectl -n oiq-prod create secret generic oiq-secrets --from-literal=REDIS_CLUSTER_NODES='rediss://:<auth-token>@clustercfg.<name>.<id>.<region>.cache.amazonaws.com:6379' --from-literal=SECRETS_ENCRYPTION_KEY=\"$(openssl rand -base64 32)\" --from-literal=ADMIN_API_TOKENS='<token-1>,<token-2>'": {
    test: SECRETS,
    how: 'as above, against the prod-cluster overlay',
  },
  'kubectl -n oiq-prod scale deploy/oiq-batcher --replicas=3': { test: OBJECTS, how: cluster('Deployment oiq-batcher') },
  'kubectl -n oiq-prod get hpa oiq-sender -w': { test: OBJECTS, how: cluster('HorizontalPodAutoscaler oiq-sender') },
  'kubectl -n oiq-prod top pods -l app.kubernetes.io/part-of=outboundiq-webhooks': { test: OBJECTS, how: cluster('pods of all three apps with that label') },
  "kubectl -n oiq-prod logs -l app.kubernetes.io/name=oiq-sender -f | grep '\"level\":50'": { test: OBJECTS, how: cluster('sender pods with that label') },
  'pnpm bench': { by: 'packages/system-tests/test/bench-smoke.int.test.ts', holds: 'pnpm bench -- --smoke', how: 'as `pnpm bench -- --smoke`' },
};

const OVERLAY_OF_NAMESPACE: Record<string, string> = { 'oiq-dev': 'dev', 'oiq-prod': 'prod' };
const rendered = new Map<string, Doc[]>();
function render(overlay: string): Doc[] {
  if (!rendered.has(overlay)) rendered.set(overlay, kustomize(repoPath(`infra/k8s/overlays/${overlay}`)));
  return rendered.get(overlay)!;
}
const steps = Object.keys(TABLE);
const named = (docs: Doc[], kind: string, name: string) => docs.find((d) => d.kind === kind && d.metadata.name === name);

const tests = new Set<string>();
const check = (name: string, fn: () => Promise<void> | void, timeoutMs = 60_000) => {
  tests.add(name);
  it(name, async () => fn(), timeoutMs);
};

describe('every command of infra/README.md', () => {
  it('is in the table: run here, run by a named test, or listed with its reason', () => {
    const { unaccounted, unused } = coverage(readmeCommands('infra/README.md'), TABLE);
    expect({ 'commands neither run nor listed': unaccounted.map((u) => `${u.where}: ${u.step}`), 'entries no README uses': unused }).toEqual({
      'commands neither run nor listed': [],
      'entries no README uses': [],
    });
    for (const [step, entry] of Object.entries(TABLE)) {
      if ('test' in entry) expect({ step, test: tests.has(entry.test) }).toEqual({ step, test: true });
      if ('by' in entry) {
        const file = join(REPO_ROOT, entry.by);
        const holds = existsSync(file) && readFileSync(file, 'utf8').includes(entry.holds ?? step);
        expect({ step, by: entry.by, holds }).toEqual({ step, by: entry.by, holds: true });
      }
    }
  });

  check('node scripts/test.mjs --selectProjects infra-tests', async () => {
    const { code, output } = await runToEnd('node scripts/test.mjs --selectProjects infra-tests --listTests');
    expect({ code, output: code === 0 ? '' : output }).toEqual({ code: 0, output: '' });
    const listed = output.split('\n').filter((line) => line.startsWith('/'));
    expect(listed).toEqual(expect.arrayContaining([expect.stringContaining('/packages/infra-tests/test/manifests.test.ts')]));
    for (const file of listed) expect(file).toContain('/packages/infra-tests/');
  });

  check('kustomize edit set image', () => {
    const dir = repoPath('infra/k8s/overlays/dev');
    expect(existsSync(join(dir, 'kustomization.yaml'))).toBe(true);
    const images = (parseYaml(readFileSync(join(dir, 'kustomization.yaml'), 'utf8'))[0]!.images ?? []) as Doc[];
    expect(images.map((i) => i.name)).toEqual(['outboundiq/webhooks']);
    const base = ['batcher', 'sender', 'admin'].map((app) => readFileSync(repoPath(`infra/k8s/base/${app}.yaml`), 'utf8'));
    for (const manifest of base) expect(manifest).toMatch(/image: outboundiq\/webhooks$/m);
  });

  check('openssl rand', async () => {
    const key = await runToEnd('openssl rand -base64 32');
    expect(key.code).toBe(0);
    expect(Buffer.from(key.output.trim(), 'base64')).toHaveLength(32);
    expect(secretBoxFromEnv(key.output.trim(), 'production').usedDevKey).toBe(false);
    const token = await runToEnd('openssl rand -hex 24');
    expect(token.output.trim()).toMatch(/^[0-9a-f]{48}$/);
  });

  check(APPLY, async () => {
    for (const step of steps.filter((s) => s.startsWith('kubectl apply -k '))) {
      const overlay = step.split('/').at(-1)!;
      const command = step.replace('kubectl apply -k', 'kubectl kustomize');
      const { code, stdout, output } = await runToEnd(command);
      expect({ command, code, output: code === 0 ? '' : output }).toEqual({ command, code: 0, output: '' });
      const docs = parseYaml(stdout, command);
      expect({ step, deployments: docs.filter((d) => d.kind === 'Deployment').map((d) => d.metadata.name).sort() }).toEqual({ step, deployments: ['oiq-admin', 'oiq-batcher', 'oiq-sender'] });
      const namespaces = new Set(docs.filter((d) => d.kind !== 'Namespace').map((d) => d.metadata.namespace));
      expect([...namespaces]).toEqual([overlay === 'dev' ? 'oiq-dev' : 'oiq-prod']);
    }
  });

  check(OBJECTS, () => {
    for (const step of steps.filter((s) => 'test' in TABLE[s]! && (TABLE[s] as { test: string }).test === OBJECTS)) {
      const target = kubectlTarget(step);
      const docs = render(OVERLAY_OF_NAMESPACE[target.namespace!]!);
      for (const { kind, name } of target.objects) expect({ step, kind, name, found: named(docs, kind, name) !== undefined }).toEqual({ step, kind, name, found: true });
      if (Object.keys(target.selector).length > 0) expect({ step, pods: podsMatching(docs, target.selector).length > 0 }).toEqual({ step, pods: true });
    }
    const top = kubectlTarget(steps.find((s) => s.includes(' top pods '))!);
    expect(podsMatching(render('prod'), top.selector).sort()).toEqual(['oiq-admin', 'oiq-batcher', 'oiq-sender']);
    // port-forward svc/oiq-admin 3000:80: the Service's port 80 leads to the admin container's port 3000.
    const service = named(render('dev'), 'Service', 'oiq-admin')!;
    const port = (service.spec.ports as Doc[]).find((p) => p.port === 80)!;
    const admin = named(render('dev'), 'Deployment', 'oiq-admin')!.spec.template.spec.containers[0] as Doc;
    expect((admin.ports as Doc[]).find((p) => p.name === port.targetPort || p.containerPort === port.targetPort)?.containerPort).toBe(3000);
  });

  check(SECRETS, async () => {
    const namespace = steps.find((s) => s.startsWith('kubectl create namespace'))!;
    for (const overlay of ['prod', 'prod-cluster']) expect(new Set(render(overlay).filter((d) => d.kind !== 'Namespace').map((d) => d.metadata.namespace))).toEqual(new Set([namespace.split(' ').at(-1)]));
    expect(JSON.parse((await runToEnd(`${namespace} --dry-run=client -o json`)).stdout)).toMatchObject({ kind: 'Namespace', metadata: { name: 'oiq-prod' } });
    for (const step of steps.filter((s) => s.includes('create secret generic'))) {
      const overlay = step.includes('REDIS_CLUSTER_NODES') ? 'prod-cluster' : 'prod';
      expect({ step, keys: literalKeys(step).sort() }).toEqual({ step, keys: requiredSecretKeys(render(overlay), 'oiq-secrets') });
      const { code, output, stdout } = await runToEnd(`${step} --dry-run=client -o json`);
      expect({ code, output: code === 0 ? '' : output }).toEqual({ code: 0, output: '' });
      const secret = JSON.parse(stdout) as Doc;
      expect(secret).toMatchObject({ kind: 'Secret', metadata: { name: 'oiq-secrets', namespace: 'oiq-prod' } });
      expect(Object.keys(secret.data).sort()).toEqual(literalKeys(step).sort());
      expect(Buffer.from(Buffer.from(secret.data.SECRETS_ENCRYPTION_KEY, 'base64').toString(), 'base64')).toHaveLength(32);
    }
  });

  check('curl the admin API', async () => {
    const secret = render('dev').find((d) => d.kind === 'Secret' && String(d.metadata.name).startsWith('oiq-secrets'))!;
    const token = secret.stringData?.ADMIN_API_TOKENS ?? Buffer.from(secret.data.ADMIN_API_TOKENS, 'base64').toString();
    expect(token).toBe('dev-admin-token');
    const port = await freePort();
    const prefix = uniquePrefix('readme-curl');
    const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
    const admin = spawnApp('admin', { REDIS_URL: redisUrl, KEY_PREFIX: prefix, ADMIN_API_TOKENS: token, PORT: String(port), LOG_LEVEL: 'warn' }, 'admin-readme');
    try {
      await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.ok === true, 30_000, 'the admin to be ready');
      const curl = steps.find((s) => s.startsWith('curl '))!;
      const { code, stdout } = await runToEnd(curl.replace('localhost:3000', `localhost:${port}`));
      expect(code).toBe(0);
      expect(JSON.parse(stdout)).toEqual({ webhooks: [] });
      const dashboard = await fetch(`http://127.0.0.1:${port}/admin/queues`, { headers: { authorization: `Basic ${Buffer.from(`anyone:${token}`).toString('base64')}` } });
      expect(dashboard.status).toBe(200);
    } finally {
      await admin.kill('SIGTERM');
      const redis = createRedisClient({ url: redisUrl, role: 'publisher', name: 'readme-curl-cleanup' });
      await deleteKeys(redis, prefix);
      redis.disconnect();
    }
  });
});

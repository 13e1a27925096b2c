import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { repoPath, type Doc } from './kustomize.js';

export const APPS = ['batcher', 'sender', 'admin'] as const;
export type App = (typeof APPS)[number];

/** What `--check-config` answered: the settings it would run with, or why it refuses. */
export type Settings = Record<string, number | boolean | '(set)'>;
export type ConfigCheck =
  | { ok: true; config: Settings }
  | { ok: false; error: string };

/**
 * Asks the built app itself whether it accepts `env`: `node apps/<app>/dist/main.js --check-config`,
 * the app's own validation, run as an operator would run it, connecting nowhere. This package never
 * imports an app; it drives the built one, like the image does.
 */
export async function checkAppConfig(app: App, env: Record<string, string>): Promise<ConfigCheck> {
  const main = repoPath(`apps/${app}/dist/main.js`);
  if (!existsSync(main)) throw new Error(`${main} is missing: build the workspace first (pnpm build)`);
  // Only the pod's environment: the test runner's own (NODE_ENV=test, say) must not leak in.
  const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve, reject) => {
    execFile(process.execPath, [main, '--check-config'], { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 30_000 }, (err, stdout, stderr) => {
      const exitCode = err === null ? 0 : (err as { code?: unknown }).code;
      if (typeof exitCode !== 'number') reject(new Error(`${app} --check-config did not finish: ${err?.message}\n${stderr}`));
      else resolve({ code: exitCode, stdout, stderr });
    });
  });
  const line = (text: string) => JSON.parse(text.trim().split('\n').at(-1)!) as { msg: string; config?: Settings };
  if (code === 0) return { ok: true, config: line(stdout).config! };
  if (code === 1 && stderr.trim() !== '') return { ok: false, error: line(stderr).msg };
  throw new Error(`${app} --check-config exited ${code}: ${stdout}${stderr}`);
}

/**
 * The environment the app's container gets in `docs` (a rendered overlay): its ConfigMaps, then its
 * `env` entries (which win), secret references read from a Secret the overlay generates or else from
 * `operatorSecrets` (the Secret an operator makes). An optional reference to a key nobody gives is
 * left out, as Kubernetes leaves it out.
 */
export function podEnv(docs: Doc[], app: App, operatorSecrets: Record<string, string>): Record<string, string> {
  const named = (kind: string, name: string) => docs.find((d) => d.kind === kind && d.metadata.name === name);
  const container = named('Deployment', `oiq-${app}`)!.spec.template.spec.containers[0] as Doc;
  const env: Record<string, string> = {};
  for (const from of (container.envFrom ?? []) as Doc[]) {
    const map = named('ConfigMap', from.configMapRef.name);
    if (!map) throw new Error(`${app}: ConfigMap ${from.configMapRef.name} is not in the overlay`);
    Object.assign(env, map.data);
  }
  for (const e of (container.env ?? []) as Doc[]) {
    if ('value' in e) env[e.name] = String(e.value);
    const ref = e.valueFrom?.secretKeyRef as { name: string; key: string; optional?: boolean } | undefined;
    if (!ref) continue;
    const secret = named('Secret', ref.name);
    const value = secret
      ? (secret.data?.[ref.key] === undefined ? undefined : Buffer.from(secret.data[ref.key], 'base64').toString())
      : operatorSecrets[ref.key];
    if (value !== undefined) env[e.name] = value;
    else if (!ref.optional) throw new Error(`${app}: ${e.name} comes from ${ref.name}.${ref.key}, which nobody gives`);
  }
  return env;
}

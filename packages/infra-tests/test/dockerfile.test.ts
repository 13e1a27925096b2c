import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { containersOf, fileExists, kustomize, repoPath } from '../src/kustomize.js';

/** The Dockerfile as instructions: continuation lines joined, comments dropped. */
interface Instruction {
  op: string;
  args: string;
  stage: string;
}

function parseDockerfile(text: string): Instruction[] {
  const lines = text.split('\n').filter((l) => !/^\s*#/.test(l));
  const joined: string[] = [];
  let current = '';
  for (const line of lines) {
    if (line.trimEnd().endsWith('\\')) current += `${line.trimEnd().slice(0, -1)} `;
    else {
      current += line;
      if (current.trim() !== '') joined.push(current.trim());
      current = '';
    }
  }
  let stage = '';
  return joined.map((line) => {
    const [, op, args] = /^(\w+)\s+([\s\S]*)$/.exec(line)!;
    if (op!.toUpperCase() === 'FROM') stage = /\bAS\s+(\S+)/i.exec(args!)?.[1] ?? '';
    return { op: op!.toUpperCase(), args: args!.trim(), stage };
  });
}

const dockerfile = readFileSync(repoPath('infra/docker/Dockerfile'), 'utf8');
const instructions = parseDockerfile(dockerfile);
const inStage = (stage: string) => instructions.filter((i) => i.stage === stage);
const runtime = inStage('runtime');
const execForm = (args: string) => JSON.parse(args) as string[];

describe('infra/docker/Dockerfile', () => {
  it('is a multi-stage build ending in the runtime stage', () => {
    const stages = instructions.filter((i) => i.op === 'FROM').map((i) => i.stage);
    expect(stages).toEqual(['toolchain', 'deps', 'build', 'runtime']);
    expect(instructions.at(-1)!.stage).toBe('runtime');
    for (const i of instructions) expect(['ARG', 'FROM', 'ENV', 'RUN', 'WORKDIR', 'COPY', 'USER', 'EXPOSE', 'ENTRYPOINT', 'CMD']).toContain(i.op);
  });

  it('uses the repo\'s Node major and pnpm version', () => {
    const pkg = JSON.parse(readFileSync(repoPath('package.json'), 'utf8')) as { packageManager: string; engines: { node: string } };
    const nodeImage = /^NODE_IMAGE=(\S+)$/.exec(instructions.find((i) => i.op === 'ARG')!.args)![1]!;
    expect(nodeImage).toMatch(new RegExp(`^node:${/\d+/.exec(pkg.engines.node)![0]}[-.]`));
    expect(instructions.filter((i) => i.op === 'FROM' && i.args.startsWith('${NODE_IMAGE}')).map((i) => i.stage)).toEqual(['toolchain', 'runtime']);
    expect(dockerfile).toContain(`npm install -g -E ${pkg.packageManager}`);
  });

  it('installs from the lockfile only, offline after fetch, builds the three apps and deploys each with production dependencies', () => {
    const run = (stage: string) => inStage(stage).filter((i) => i.op === 'RUN').map((i) => i.args).join('\n');
    expect(inStage('deps').find((i) => i.op === 'COPY')!.args).toBe('pnpm-lock.yaml pnpm-workspace.yaml ./');
    expect(run('deps')).toMatch(/pnpm fetch\b/);
    expect(run('build')).toMatch(/pnpm install --frozen-lockfile --offline/);
    for (const app of ['batcher', 'sender', 'admin']) expect(run('build')).toContain(`--filter=@outboundiq/${app}...`);
    expect(run('build')).toMatch(/for app in batcher sender admin; do\s+pnpm deploy --filter "@outboundiq\/\$app" --prod .*"\/out\/apps\/\$app"/);
    expect(run('build')).toContain('test -f "/out/apps/$app/dist/main.js"');
  });

  it('runs as a non-root user under tini, with only the deployed apps', () => {
    expect(runtime.find((i) => i.op === 'WORKDIR')!.args).toBe('/app');
    expect(runtime.filter((i) => i.op === 'COPY').map((i) => i.args)).toEqual(['--from=build /out/apps ./apps']);
    expect(runtime.find((i) => i.op === 'RUN')!.args).toMatch(/apt-get install -y --no-install-recommends tini/);
    const user = runtime.find((i) => i.op === 'USER')!.args;
    expect(user).toMatch(/^[1-9]\d*:[1-9]\d*$/);
    // Everything after USER runs as that user; nothing installs or copies as root later.
    expect(runtime.slice(runtime.findIndex((i) => i.op === 'USER')).map((i) => i.op)).toEqual(['USER', 'EXPOSE', 'ENTRYPOINT', 'CMD']);
    expect(execForm(runtime.find((i) => i.op === 'ENTRYPOINT')!.args)).toEqual(['/usr/bin/tini', '--']);
    expect(dockerfile).toMatch(/ENV NODE_ENV=production/);
    // The manifests' runAsUser is the image's user.
    for (const doc of kustomize(repoPath('infra/k8s/overlays/prod')).filter((d) => d.kind === 'Deployment')) {
      expect(String(doc.spec.template.spec.securityContext.runAsUser)).toBe(user.split(':')[0]);
    }
  });

  it('names, in its CMD and in every manifest command, an entry point the build produces', () => {
    const cmd = execForm(runtime.find((i) => i.op === 'CMD')!.args);
    expect(cmd).toEqual(['node', 'apps/sender/dist/main.js']);
    const commands = ['dev', 'prod', 'prod-keda']
      .flatMap((o) => kustomize(repoPath(`infra/k8s/overlays/${o}`)))
      .filter((d) => d.kind === 'Deployment')
      .flatMap(containersOf)
      .map((c) => c.command as string[]);
    for (const command of [cmd, ...commands]) {
      expect(command[0]).toBe('node');
      // WORKDIR /app + apps/<app>/... is /out/apps/<app>/... of the build, which is the repo's apps/<app> after `pnpm build`.
      const [, app] = /^apps\/(batcher|sender|admin)\/dist\/main\.js$/.exec(command[1]!)!;
      expect(fileExists(repoPath(`apps/${app}/dist/main.js`))).toBe(true);
    }
  });

  it('keeps local build output and dependencies out of the build context', () => {
    const ignore = readFileSync(repoPath('infra/docker/Dockerfile.dockerignore'), 'utf8').split('\n').map((l) => l.trim());
    for (const entry of ['**/node_modules', '**/dist', '.git']) expect(ignore).toContain(entry);
  });
});

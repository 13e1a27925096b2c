import { describe, expect, it } from '@jest/globals';
import { commandsOf, coverage, withoutComment } from './readme-commands.js';

const README = [
  '# Title',
  'Run `pnpm start`, or see `SHARDS=16`, `--only cluster` and `redis-server` (not commands).',
  '',
  '```sh',
  'npm i -g -E pnpm@12.4.2 && pnpm install --frozen-lockfile   # set up',
  '# a whole-line comment',
  'redis-server --port 7000 \\',
  '  --appendonly yes',
  "kubectl logs -f | grep '\"level\":50'   # errors",
  '```',
  '',
  '1. Step:',
  '   ```sh',
  '   openssl rand -hex 24 # a token',
  '   ```',
  '',
  '```yaml',
  'expr: `pnpm ignored` inside a non-shell block',
  '```',
  'A span that wraps: `kubectl apply',
  '  -k infra/k8s/overlays/dev`.',
].join('\n');

describe('commandsOf', () => {
  const commands = commandsOf(README, 'README.md');

  it('reads shell blocks (indented too) and inline spans that start with a program', () => {
    expect(commands.map((c) => [c.line, c.inline, c.text])).toEqual([
      [2, true, 'pnpm start'],
      [5, false, 'npm i -g -E pnpm@12.4.2 && pnpm install --frozen-lockfile'],
      [7, false, 'redis-server --port 7000 --appendonly yes'],
      [9, false, "kubectl logs -f | grep '\"level\":50'"],
      [14, false, 'openssl rand -hex 24'],
      [20, true, 'kubectl apply -k infra/k8s/overlays/dev'],
    ]);
  });

  it('splits a command into its && steps', () => {
    expect(commands[1]!.steps).toEqual(['npm i -g -E pnpm@12.4.2', 'pnpm install --frozen-lockfile']);
  });

  it('keeps a # inside quotes or a word', () => {
    expect(withoutComment(`echo '# not a comment' a#b # comment`)).toBe(`echo '# not a comment' a#b `);
  });
});

describe('coverage', () => {
  it('names the steps the table lacks, where they are, and the entries no README uses', () => {
    const commands = commandsOf('```sh\npnpm a && pnpm b\n```\n', 'X.md');
    expect(coverage(commands, { 'pnpm a': 1, 'pnpm gone': 2 })).toEqual({
      unaccounted: [{ where: 'X.md:2', step: 'pnpm b' }],
      unused: ['pnpm gone'],
    });
  });
});

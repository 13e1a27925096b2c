import { describe, expect, it } from '@jest/globals';
import { runToEnd } from '@outboundiq/testkit';

// Every script people run by hand answers --help with its options and refuses a mistake in one line
// that names it, with exit status 2, through pnpm as the README writes it (`pnpm x -- --opt`) and
// without the `--` too. scripts/test.mjs is not here: it hands its arguments to jest as they are,
// so jest's own --help and errors are its. `pnpm start --help` is pnpm's help (start is a pnpm
// command), hence `pnpm start -- --help`.
const HELP: [command: string, lists: string[]][] = [
  ['pnpm soak -- --help', ['--companies', '--minutes', '--rate', '--seed']],
  ['pnpm soak --help', ['--companies', '--minutes']],
  ['pnpm bench -- --help', ['--smoke', '--only', '--scenario', '--env', '--report', '--out', '--cluster-shards']],
  ['pnpm bench --help', ['--smoke', '--only']],
  ['pnpm start -- --help', ['--demo', 'REDIS_URL', 'ADMIN_PORT', 'DEMO_RATE']],
  ['pnpm demo --help', ['--demo', 'REDIS_URL']],
  ['pnpm demo -- --help', ['--demo', 'REDIS_URL']],
];

const MISTAKES: [command: string, says: RegExp][] = [
  ['pnpm soak -- --companies 20 --minuets 10', /^pnpm soak: unknown option --minuets/m],
  ['pnpm soak --companies twenty', /^pnpm soak: --companies must be a positive number, not "twenty"/m],
  ['pnpm soak -- --minutes', /^pnpm soak: --minutes needs a value/m],
  ['pnpm soak -- --seed 1.5', /^pnpm soak: --seed must be a whole number/m],
  ['pnpm soak -- 20', /^pnpm soak: unexpected argument 20/m],
  ['pnpm bench -- --only clustr', /^pnpm bench: --only: unknown section "clustr"/m],
  ['pnpm bench --window 0', /^pnpm bench: --window must be a positive number, not "0"/m],
  ['pnpm bench -- --env SENDER_CONCURRENCY', /^pnpm bench: --env wants KEY=VALUE/m],
  ['pnpm bench -- --smoke=yes', /^pnpm bench: --smoke takes no value/m],
  ['pnpm bench -- --report /nonexistent/results.json', /^pnpm bench: --report: cannot read \/nonexistent\/results.json/m],
  ['pnpm start -- --demoo', /^pnpm start: unknown option --demoo/m],
  ['ADMIN_PORT=http pnpm demo', /^pnpm demo: ADMIN_PORT must be a port \(1-65535\), not "http"/m],
  ['DEMO_RATE=fast pnpm demo', /^pnpm demo: DEMO_RATE must be a positive number, not "fast"/m],
  ['REDIS_URL=localhost:6379 pnpm start', /^pnpm start: REDIS_URL must be a redis:\/\/ or rediss:\/\/ URL/m],
];

describe('the options of pnpm soak, bench, start and demo', () => {
  it.each(HELP)('%s lists them and exits 0', async (command, lists) => {
    const { code, output } = await runToEnd(command, { timeoutMs: 30_000 });
    expect({ code, output: code === 0 ? '' : output }).toEqual({ code: 0, output: '' });
    for (const option of lists) expect(output).toContain(option);
  });

  it.each(MISTAKES)('%s is refused in one line naming it, exit 2', async (command, says) => {
    const { code, output } = await runToEnd(command, { timeoutMs: 30_000 });
    expect({ code, says: says.test(output) }).toEqual({ code: 2, says: true });
    // One line, not a stack trace.
    expect(output).not.toMatch(/^\s+at /m);
  });
});

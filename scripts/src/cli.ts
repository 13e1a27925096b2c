// The command line of every script people run by hand (stack/demo, soak, bench): the README's
// `pnpm soak -- --companies 20` and `pnpm soak --companies 20` both work, `--help` lists the options,
// and a mistake is one line naming it, with exit status 2, never a stack trace.
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A mistake on the command line (or in a setting the script reads): exit status 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
    Object.setPrototypeOf(this, new.target.prototype);
  }
}

/**
 * pnpm passes a `--` on to the script (`pnpm soak -- --companies 20` runs `soak.js -- --companies 20`,
 * and `pnpm demo -- --help` runs `stack.js --demo -- --help`), and parseArgs would take every word
 * after it for a positional. No script here takes positionals, so the separator means nothing: drop it.
 */
export function withoutPnpmSeparator(argv: readonly string[]): string[] {
  const at = argv.indexOf('--');
  return at === -1 ? [...argv] : [...argv.slice(0, at), ...argv.slice(at + 1)];
}

type Options = NonNullable<ParseArgsConfig['options']>;

type Strict<T extends Options> = { args: string[]; options: T; strict: true; allowPositionals: false };

/** parseArgs, strict, with its errors reworded as UsageErrors that name the option. */
export function strictArgs<T extends Options>(args: string[], options: T): ReturnType<typeof parseArgs<Strict<T>>>['values'] {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false }).values;
  } catch (err) {
    const code = (err as { code?: string }).code ?? '';
    const quoted = /'([^']+)'/.exec((err as Error).message)?.[1] ?? '';
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new UsageError(`unknown option ${quoted}`);
    if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') throw new UsageError(`unexpected argument ${quoted}: this command takes options only`);
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') throw new UsageError(valueProblem(quoted.split(' ')[0]!, (err as Error).message));
    throw err;
  }
}

function valueProblem(option: string, message: string): string {
  if (/ambiguous/.test(message)) return `${option} needs a value; one that starts with a dash is written ${option}=<value>`;
  if (/does not take an argument/.test(message)) return `${option} takes no value`;
  return `${option} needs a value`;
}

export function positiveNumber(name: string, raw: string): number {
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || n <= 0) throw new UsageError(`${name} must be a positive number, not ${JSON.stringify(raw)}`);
  return n;
}

/**
 * Reads the command line with `parse` (which throws UsageError): `--help` or `-h` prints `usage`
 * and exits 0; a UsageError prints `<script>: <message>` and exits 2.
 */
export function commandLine<T>(script: string, usage: string, parse: (args: string[]) => T, argv = process.argv.slice(2)): T {
  const args = withoutPnpmSeparator(argv);
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(`${usage}\n`);
    process.exit(0);
  }
  try {
    return parse(args);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`${script}: ${err.message} (${script} -- --help lists them)\n`);
    process.exit(2);
  }
}

/**
 * For a script's last catch: a missing program (redis-server, openssl) or a usage error is one line
 * naming it; anything else is a bug of ours, printed with its stack.
 */
export function exitWithError(script: string, err: unknown): never {
  const name = (err as Error | undefined)?.name;
  if (name === 'MissingToolError' || name === 'UsageError') {
    process.stderr.write(`${script}: ${(err as Error).message}\n`);
    process.exit(name === 'UsageError' ? 2 : 1);
  }
  console.error(err);
  process.exit(1);
}

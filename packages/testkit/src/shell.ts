// A documented command run the way a reader runs it: `bash -c '<command as written>'` from the
// repository root, in a process group of its own, so that an interrupt reaches every process it
// started, as Ctrl-C in a terminal does.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { REPO_ROOT } from './apps.js';
import { waitFor } from './wait.js';

export interface ShellRun {
  child: ChildProcess;
  /** stdout and stderr so far, interleaved. */
  output(): string;
  /** stdout alone (what a reader pipes on: curl's body without its progress meter). */
  stdout(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Ctrl-C: SIGINT to the whole group. */
  interrupt(): void;
  /** A signal to the whole group. */
  signal(signal: NodeJS.Signals): void;
  /** Resolves once no process of the group is left (the command's children included). */
  groupGone(timeoutMs?: number): Promise<void>;
}

/**
 * What a reader's shell holds: PATH and HOME, the machine's TLS and proxy settings (npm reaches the
 * registry with them), CI and turbo's quiet switches. Nothing of the jest run leaks in: not its
 * NODE_ENV=test, its npm_* variables, nor its test CA (scripts/test.mjs hands the machine's own
 * NODE_EXTRA_CA_CERTS on as READER_NODE_EXTRA_CA_CERTS). `extra` is the test's own (ports, prefix).
 */
export function readerEnv(extra: Record<string, string> = {}): Record<string, string> {
  const keep = [
    'PATH', 'HOME', 'CI', 'REDIS_URL', 'TURBO_TELEMETRY_DISABLED', 'TURBO_NO_UPDATE_NOTIFIER',
    'SSL_CERT_FILE', 'SSL_CERT_DIR', 'HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'http_proxy', 'https_proxy', 'no_proxy', 'npm_config_registry',
  ];
  const base = Object.fromEntries(keep.filter((k) => process.env[k] !== undefined).map((k) => [k, process.env[k]!]));
  const machineCa = process.env.READER_NODE_EXTRA_CA_CERTS ?? process.env.NODE_EXTRA_CA_CERTS;
  return { TURBO_TELEMETRY_DISABLED: '1', TURBO_NO_UPDATE_NOTIFIER: '1', ...base, ...(machineCa ? { NODE_EXTRA_CA_CERTS: machineCa } : {}), ...extra };
}

export function runShell(command: string, options: { env?: Record<string, string>; cwd?: string; input?: string } = {}): ShellRun {
  const child = spawn('bash', ['-c', command], {
    cwd: options.cwd ?? REPO_ROOT,
    env: options.env ?? readerEnv(),
    detached: true,
    stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  if (options.input !== undefined) child.stdin!.end(options.input);
  let text = '';
  let out = '';
  child.stdout!.on('data', (c: Buffer) => {
    text += c.toString('utf8');
    out += c.toString('utf8');
  });
  child.stderr!.on('data', (c: Buffer) => (text += c.toString('utf8')));
  const pgid = child.pid!;
  // A test that fails half way must not leave a stack running on a shared machine.
  const killGroup = () => signalGroup(pgid, 'SIGKILL');
  process.once('exit', killGroup);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    output: () => text,
    stdout: () => out,
    exited,
    interrupt: () => signalGroup(pgid, 'SIGINT'),
    signal: (signal) => signalGroup(pgid, signal),
    async groupGone(timeoutMs = 30_000) {
      await waitFor(() => !signalGroup(pgid, 0), timeoutMs, `every process of \`${command}\` to exit`);
      process.removeListener('exit', killGroup);
    },
  };
}

/** Runs a command that ends by itself; kills its group when it outlives `timeoutMs`. */
export async function runToEnd(command: string, options: { env?: Record<string, string>; cwd?: string; input?: string; timeoutMs?: number } = {}): Promise<{ code: number | null; output: string; stdout: string }> {
  const run = runShell(command, options);
  const timer = setTimeout(() => signalGroup(run.child.pid!, 'SIGKILL'), options.timeoutMs ?? 60_000);
  try {
    const { code } = await run.exited;
    await run.groupGone(10_000).catch(() => signalGroup(run.child.pid!, 'SIGKILL'));
    return { code, output: run.output(), stdout: run.stdout() };
  } finally {
    clearTimeout(timer);
  }
}

/** True when the group still had a process to signal. */
function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/** The ports of `ports` that something still listens on. */
export async function portsInUse(ports: readonly number[]): Promise<number[]> {
  const taken = await Promise.all(
    ports.map(
      (port) =>
        new Promise<boolean>((resolve) => {
          const server = createServer();
          server.once('error', () => resolve(true));
          server.listen(port, '127.0.0.1', () => server.close(() => resolve(false)));
        }),
    ),
  );
  return ports.filter((_, i) => taken[i]);
}

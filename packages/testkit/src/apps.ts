import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { waitFor } from './wait.js';

/** The repository root (this file is at packages/testkit/{src,dist}/). */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export type AppName = 'batcher' | 'sender' | 'admin';

export interface AppProcess {
  name: string;
  child: ChildProcess;
  /** Parsed JSON log lines (pino), in order. */
  logs: Record<string, unknown>[];
  /** stdout/stderr lines that were not JSON. */
  text: string[];
  waitForLog(match: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Resolves with the exit code (or signal) once the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface SpawnOptions {
  /**
   * Called with every output line (stdout and stderr) as it arrives, `json` set when it parsed: for
   * a caller that merges the lines of several processes in arrival order.
   */
  onLine?: (line: { raw: string; json?: Record<string, unknown>; label: string }) => void;
}

/** Starts `node apps/<app>/dist/main.js` (built) as a real child process with the given environment. */
export function spawnApp(app: AppName, env: Record<string, string>, label: string = app, options: SpawnOptions = {}): AppProcess {
  const main = `${REPO_ROOT}apps/${app}/dist/main.js`;
  // Otherwise the child dies with a module-not-found stack that does not say what to do.
  if (!existsSync(main)) throw new Error(`${main} does not exist: run \`pnpm build\` first (\`pnpm test\` builds before testing)`);
  const child = spawn(process.execPath, [main], {
    env: { PATH: process.env.PATH ?? '', NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Record<string, unknown>[] = [];
  const text: string[] = [];
  const collect = (chunk: Buffer, carry: { rest: string }) => {
    const lines = (carry.rest + chunk.toString('utf8')).split('\n');
    carry.rest = lines.pop() ?? '';
    for (const line of lines) {
      if (line.trim() === '') continue;
      let json: Record<string, unknown> | undefined;
      try {
        json = JSON.parse(line) as Record<string, unknown>;
        logs.push(json);
      } catch {
        text.push(line);
      }
      options.onLine?.({ raw: line, ...(json ? { json } : {}), label });
    }
  };
  const out = { rest: '' };
  const err = { rest: '' };
  child.stdout!.on('data', (c: Buffer) => collect(c, out));
  child.stderr!.on('data', (c: Buffer) => collect(c, err));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    name: label,
    child,
    logs,
    text,
    async waitForLog(match, timeoutMs = 15_000) {
      let found: Record<string, unknown> | undefined;
      await waitFor(() => (found = logs.find(match)) !== undefined, timeoutMs, `a log line of ${label}`);
      return found!;
    },
    exited,
    async kill(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

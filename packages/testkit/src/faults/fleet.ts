import { readFileSync } from 'node:fs';
import { spawnApp, type AppName, type AppProcess, type SpawnOptions } from '../apps.js';
import { waitFor } from '../wait.js';

const STARTED: Record<AppName, string> = { batcher: 'batcher started', sender: 'sender started', admin: 'Server listening' };

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** From the signal to the exit (ms). */
  ms: number;
}

/**
 * The apps of one fault scenario as real child processes (`node apps/<app>/dist/main.js`) sharing
 * one environment. Labels name each copy (`batcher-1`); starting a label again replaces a copy that
 * exited. `stopAll` SIGKILLs whatever still runs: call it in afterAll/finally, even on failure.
 */
export class Fleet {
  private readonly procs = new Map<string, AppProcess>();
  private readonly all: AppProcess[] = [];

  constructor(readonly env: Record<string, string>, private readonly spawnOptions: SpawnOptions = {}) {}

  /** Starts a copy and waits until it says it started; throws with its output if it exits first. */
  async start(app: AppName, label: string, extraEnv: Record<string, string> = {}, timeoutMs = 20_000): Promise<AppProcess> {
    const running = this.procs.get(label);
    if (running && isRunning(running)) throw new Error(`${label} is already running`);
    const proc = spawnApp(app, { ...this.env, ...extraEnv }, label, this.spawnOptions);
    this.procs.set(label, proc);
    this.all.push(proc);
    const started = () => proc.logs.some((l) => typeof l.msg === 'string' && l.msg.startsWith(STARTED[app]));
    await waitFor(() => started() || !isRunning(proc), timeoutMs, `${label} to start`);
    if (!started()) throw new Error(`${label} exited during start:\n${outputOf(proc)}`);
    return proc;
  }

  get(label: string): AppProcess {
    const proc = this.procs.get(label);
    if (!proc) throw new Error(`no process ${label}`);
    return proc;
  }

  /** Every copy ever started, in start order (killed ones included, with their logs). */
  processes(): AppProcess[] {
    return [...this.all];
  }

  labels(): string[] {
    return [...this.procs.keys()];
  }

  running(label: string): boolean {
    const proc = this.procs.get(label);
    return proc !== undefined && isRunning(proc);
  }

  /** Sends `signal` and waits for the exit. */
  async kill(label: string, signal: NodeJS.Signals): Promise<ExitInfo> {
    const proc = this.get(label);
    const at = Date.now();
    const { code, signal: by } = await proc.kill(signal);
    return { code, signal: by, ms: Date.now() - at };
  }

  /** Every copy ever started, SIGKILLed if still running. */
  async stopAll(): Promise<void> {
    await Promise.all(this.all.map((p) => p.kill('SIGKILL')));
  }
}

export function isRunning(proc: AppProcess): boolean {
  return proc.child.exitCode === null && proc.child.signalCode === null;
}

/** What a process printed, JSON and not, for a failure message. */
export function outputOf(proc: AppProcess, lines = 40): string {
  return [...proc.logs.map((l) => JSON.stringify(l)), ...proc.text].slice(-lines).join('\n');
}

/** Resident memory of a process now and at its peak (kB), from /proc (Linux). */
export function memoryOf(pid: number): { rssKb: number; peakRssKb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssKb: field('VmRSS'), peakRssKb: field('VmHWM') };
}

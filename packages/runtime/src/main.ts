import type { Shutdown } from './shutdown.js';

/** `node apps/<app>/dist/main.js --check-config`: check the environment's configuration, then exit. */
export const CHECK_CONFIG_FLAG = '--check-config';

export interface MainOptions {
  /**
   * Loads and checks the configuration from the environment, as a start would before connecting
   * anywhere, and returns it. With `--check-config` this runs instead of the start: an operator (or
   * the infra tests, with the environment a pod gets) learns whether the app would accept it.
   */
  checkConfig?: () => Record<string, unknown>;
}

/**
 * The body of every app's main.ts: start, then run the shutdown steps on SIGTERM/SIGINT and exit
 * with their code. A start that fails (bad configuration, Redis refusing) prints one JSON line
 * naming the problem and exits 1.
 */
export function runMain(name: string, start: () => Promise<{ shutdown: Shutdown }>, options: MainOptions = {}): void {
  if (options.checkConfig && process.argv.slice(2).includes(CHECK_CONFIG_FLAG)) {
    checkConfig(name, options.checkConfig);
    return;
  }
  start().then(
    (app) => app.shutdown.onSignals(),
    (err: unknown) => {
      process.stderr.write(`${fatalLine(name, `${name} failed to start`, err)}\n`);
      process.exit(1);
    },
  );
}

/**
 * Prints `configuration OK` with the settings on stdout and exits 0, or the reason on stderr (the
 * line a failed start prints) and exits 1. Nothing was started, so the process ends by itself.
 */
function checkConfig(name: string, load: () => Record<string, unknown>): void {
  let config: Record<string, unknown>;
  try {
    config = load();
  } catch (err) {
    process.stderr.write(`${fatalLine(name, 'configuration refused', err)}\n`);
    process.exitCode = 1;
    return;
  }
  process.stdout.write(`${JSON.stringify({ level: 'info', service: name, msg: 'configuration OK', config: publicSettings(config) })}\n`);
  process.exitCode = 0;
}

/**
 * Numbers and booleans as they are; any other value only as "(set)". Strings may be credentials
 * (REDIS_URL with a password, tokens, keys, cluster seeds), and this line ends up in terminals and CI
 * logs: showing just the numbers is safe without a list of secrets that someone must keep up.
 */
export function publicSettings(config: Record<string, unknown>): Record<string, number | boolean | '(set)'> {
  const out: Record<string, number | boolean | '(set)'> = {};
  for (const [key, value] of Object.entries(config)) {
    if (value === undefined) continue;
    out[key] = typeof value === 'number' || typeof value === 'boolean' ? value : '(set)';
  }
  return out;
}

function fatalLine(name: string, what: string, err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return JSON.stringify({ level: 'fatal', service: name, msg: `${what}: ${message}` });
}

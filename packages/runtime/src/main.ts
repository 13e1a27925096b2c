import type { Shutdown } from './shutdown.js';

/**
 * The body of every app's main.ts: start, then run the shutdown steps on SIGTERM/SIGINT and exit
 * with their code. A start that fails (bad configuration, Redis refusing) prints one JSON line
 * naming the problem and exits 1.
 */
export function runMain(name: string, start: () => Promise<{ shutdown: Shutdown }>): void {
  start().then(
    (app) => app.shutdown.onSignals(),
    (err: unknown) => {
      const message = err instanceof Error ? err.message : String(err);
      process.stderr.write(`${JSON.stringify({ level: 'fatal', service: name, msg: `${name} failed to start: ${message}` })}\n`);
      process.exit(1);
    },
  );
}

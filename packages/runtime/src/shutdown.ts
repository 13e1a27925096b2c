import type { Logger } from '@outboundiq/core';

export interface Shutdown {
  /** Adds a step; steps run in the order added. */
  add(name: string, step: () => Promise<void> | void): void;
  /** Runs every step once (later calls get the same promise), bounded by the deadline. Resolves to the exit code. */
  run(reason: string): Promise<number>;
  /** SIGTERM and SIGINT run the steps, then exit with their code. */
  onSignals(exit?: (code: number) => void): void;
  readonly started: boolean;
}

/**
 * Graceful shutdown as one ordered list of named steps: readiness off, stop taking work, let
 * in-flight work finish, close clients, flush logs. A step that fails is logged and the rest still
 * run; past the deadline the process gives up waiting and exits 1.
 */
export function createShutdown(logger: Logger, deadlineMs: number): Shutdown {
  const steps: { name: string; step: () => Promise<void> | void }[] = [];
  let running: Promise<number> | undefined;

  const runSteps = async (): Promise<number> => {
    let code = 0;
    for (const { name, step } of steps) {
      const started = Date.now();
      try {
        await step();
        logger.info({ step: name, ms: Date.now() - started }, 'shutdown step done');
      } catch (err) {
        code = 1;
        logger.error({ err, step: name }, 'shutdown step failed');
      }
    }
    return code;
  };

  const shutdown: Shutdown = {
    add: (name, step) => void steps.push({ name, step }),
    run(reason) {
      if (running) return running;
      logger.info({ reason, deadlineMs }, 'shutting down');
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<number>((resolve) => {
        timer = setTimeout(() => {
          logger.error({ deadlineMs }, 'shutdown deadline passed; exiting with work unfinished');
          resolve(1);
        }, deadlineMs);
        timer.unref();
      });
      running = Promise.race([runSteps(), deadline]).finally(() => clearTimeout(timer));
      return running;
    },
    onSignals(exit = (code) => process.exit(code)) {
      for (const signal of ['SIGTERM', 'SIGINT'] as const) {
        process.once(signal, () => void shutdown.run(signal).then(exit));
      }
    },
    get started() {
      return running !== undefined;
    },
  };
  return shutdown;
}

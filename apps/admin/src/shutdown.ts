import type { Logger } from '@outboundiq/core';

export interface ShutdownStep {
  name: string;
  run(): Promise<unknown> | unknown;
}

/**
 * Runs the steps in order, once: a second signal gets the same promise. A failing step is logged
 * and the rest still run (a broken Redis must not keep the HTTP server open). Past the deadline it
 * stops waiting. Resolves to the exit code: 0 when every step finished in time, else 1.
 */
export function createShutdown(logger: Logger, steps: readonly ShutdownStep[], deadlineMs: number) {
  let running: Promise<number> | undefined;

  const runSteps = async (): Promise<number> => {
    let code = 0;
    for (const step of steps) {
      try {
        await step.run();
        logger.info({ step: step.name }, 'shutdown step done');
      } catch (err) {
        code = 1;
        logger.error({ err, step: step.name }, 'shutdown step failed');
      }
    }
    return code;
  };

  return function shutdown(reason: string): Promise<number> {
    if (running) return running;
    logger.info({ reason, deadlineMs }, 'shutting down');
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<number>((resolve) => {
      timer = setTimeout(() => {
        logger.error({ deadlineMs }, 'shutdown deadline passed; exiting with steps unfinished');
        resolve(1);
      }, deadlineMs);
    });
    running = Promise.race([runSteps(), deadline]).finally(() => clearTimeout(timer));
    return running;
  };
}

import { pino, type Logger, type LoggerOptions, type DestinationStream } from 'pino';

export type { Logger };

/**
 * Paths never written in clear, whatever a caller logs by mistake. Secrets should not reach a
 * logger at all; this is the second line.
 */
export const REDACT_PATHS = [
  'secret',
  'signingSecret',
  'sealedSecret',
  '*.secret',
  '*.signingSecret',
  '*.sealedSecret',
  'headers.authorization',
  '*.headers.authorization',
  'req.headers.authorization',
  'req.headers.cookie',
];

export interface LoggerSettings {
  name: string;
  level?: string;
}

/** JSON lines to stdout (or `destination`, for tests that capture every line); `pnpm start` prettifies them. */
export function createLogger(settings: LoggerSettings, destination?: DestinationStream): Logger {
  const options: LoggerOptions = {
    name: settings.name,
    level: settings.level ?? 'info',
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    base: { service: settings.name },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  // Synchronous stdout: lines reach the log collector in order, and none is lost when the process
  // exits right after its last shutdown step.
  return pino(options, destination ?? pino.destination({ dest: 1, sync: true }));
}

/**
 * The error base of the system. `retryable` tells the edge (a BullMQ processor, an HTTP handler,
 * a publisher's code) whether trying the same thing again can help; the edge reads it (here with
 * `isRetryable`) and maps it, nobody else decides.
 */
export class OiqError extends Error {
  readonly retryable: boolean;

  constructor(message: string, options: { retryable?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.retryable = options.retryable ?? false;
    Object.setPrototypeOf(this, new.target.prototype);
  }
}

/**
 * Whether trying again can help, as `err` itself says: the first error in it (breadth first through
 * `cause` chains, as got's RequestError wraps what the socket raised, and AggregateError's `errors`)
 * that has a boolean `retryable` decides; an error that says nothing (ECONNRESET, a timeout) is
 * retryable. Read by `retryable`, not `instanceof`, so it also works across two copies of core.
 */
export function isRetryable(err: unknown): boolean {
  const stated = errorChain(err).find((e) => typeof (e as { retryable?: unknown }).retryable === 'boolean');
  return stated === undefined || (stated as { retryable: boolean }).retryable;
}

/** `err` and what it wraps, breadth first, bounded against cycles and absurd depth. */
export function errorChain(err: unknown): object[] {
  const found: object[] = [];
  const queue: unknown[] = [err];
  while (queue.length > 0 && found.length < 32) {
    const current = queue.shift();
    if (typeof current !== 'object' || current === null || found.includes(current)) continue;
    found.push(current);
    const { cause, errors } = current as { cause?: unknown; errors?: unknown };
    queue.push(cause);
    if (Array.isArray(errors)) queue.push(...errors);
  }
  return found;
}

/** A value from outside (a dial, a request body, an env var) that breaks a rule; the message names the field. */
export class ValidationError extends OiqError {
  readonly issues: readonly ValidationIssue[];

  constructor(issues: readonly ValidationIssue[], prefix = 'invalid input') {
    super(`${prefix}: ${issues.map(formatIssue).join('; ')}`);
    this.issues = issues;
  }
}

export interface ValidationIssue {
  /** Dotted path of the bad field, e.g. `dials[3].phone` or `headers.X-Api-Key`. */
  readonly field: string;
  readonly message: string;
}

function formatIssue(issue: ValidationIssue): string {
  return issue.field === '' ? issue.message : `${issue.field}: ${issue.message}`;
}

/** A configuration value that stops a process at start. */
export class ConfigError extends OiqError {}

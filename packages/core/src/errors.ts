/**
 * The error base of the system. `retryable` tells the edge (a BullMQ processor, an HTTP handler)
 * whether trying the same thing again can help; the edge maps it, nobody else decides.
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

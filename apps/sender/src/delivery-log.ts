import type { DeliveryAttempt, DeliveryJob, DeliveryStatus, Logger } from '@outboundiq/core';
import type { DeliveryLog } from '@outboundiq/webhook-store';
import type { AttemptOutcome } from './http.js';

/** What the delivery calls to keep the customer's log (CONTRACT 3.1); absent when the log is off. */
export interface DeliveryRecorder {
  /** The attempt as the customer reads it: when, what status, how long, a short reason. */
  attempt(startedAt: number, outcome: AttemptOutcome): DeliveryAttempt;
  /** Writes the outcome; never rejects: a log that cannot be written never fails or repeats a delivery. */
  record(job: DeliveryJob, createdAt: number, status: DeliveryStatus, attempts: readonly DeliveryAttempt[]): Promise<void>;
}

export interface RecorderDeps {
  log: Pick<DeliveryLog, 'record'>;
  logger: Logger;
  /** DELIVERY_TIMEOUT_MS, for the reason of an attempt that ran out of time. */
  attemptTimeoutMs: number;
  /** How long a write may hold the job up before it is given up on (the write may still land). */
  writeTimeoutMs?: number;
}

const REASON_MAX = 200;

export function createDeliveryRecorder(deps: RecorderDeps): DeliveryRecorder {
  const writeTimeoutMs = deps.writeTimeoutMs ?? 2_000;
  return {
    attempt(startedAt, outcome) {
      const statusCode = outcome.status;
      const base = { at: new Date(startedAt).toISOString(), durationMs: Math.max(0, Date.now() - startedAt) };
      if (outcome.ok) return { ...base, statusCode: outcome.status };
      return { ...base, ...(statusCode !== undefined ? { statusCode } : {}), error: reasonOf(outcome, deps.attemptTimeoutMs) };
    },
    async record(job, createdAt, status, attempts) {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          deps.log.record({ job, status, attempts, createdAt }),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error(`no answer from Redis within ${writeTimeoutMs} ms`)), writeTimeoutMs);
          }),
        ]);
      } catch (err) {
        // The delivery stands as it is (delivered is delivered); only the customer's log misses it.
        deps.logger.error(
          { err, deliveryId: job.deliveryId, webhookId: job.webhookId, companySlug: job.companySlug, status, attempts: attempts.length },
          `delivery log not recorded: the ${status} outcome of this delivery is missing from the webhook's log and stats`,
        );
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** "HTTP 503", "no complete response within 10 s", "certificate has expired": no answer body, ever. */
export function reasonOf(outcome: Extract<AttemptOutcome, { ok: false }>, attemptTimeoutMs: number): string {
  if (outcome.code === 'ETIMEDOUT') return `no complete response within ${attemptTimeoutMs / 1000} s`;
  const text = outcome.error.replace(/\s+/g, ' ').trim();
  return text.length > REASON_MAX ? `${text.slice(0, REASON_MAX - 1)}…` : text;
}

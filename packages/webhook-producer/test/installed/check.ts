// A publisher's TypeScript, type-checked against the installed package's declarations: copied to
// check.mts (resolved through the `import` condition) and check.cts (through `require`).
import {
  createDialProducer,
  DialValidationError,
  IdempotencyConflictError,
  PublishManyError,
  ReplicationError,
  type DialInput,
  type DialProducer,
  type PublishManyResult,
  type PublishOptions,
  type PublishResult,
} from '@outboundiq/webhook-producer';

const dial: DialInput = {
  companySlug: 'acme',
  callId: 'AB12345',
  callDirection: 'outbound',
  timestamp: new Date(),
  ani: null,
  phone: '(555) 987-6543',
  campaign: 'Q2 Outbound Push',
  campaignInternalId: null,
  agent: null,
  disposition: 'Sale',
  dispositionId: null,
  contact: true,
  success: true,
  isSystemDispo: false,
  totalDialAttempts: 3,
};

const producer: DialProducer = createDialProducer({ redisUrl: 'redis://127.0.0.1:6379', timeoutMs: 2_000, waitForReplicas: 1 });
createDialProducer({ clusterNodes: ['10.0.0.5:6379'], keyPrefix: 'oiq' });

export async function publishAll(dials: DialInput[]): Promise<number> {
  const one: PublishResult = await producer.publish(dial);
  const skipped: 'no-enabled-webhook' | undefined = one.enqueued ? undefined : one.reason;
  try {
    const options: PublishOptions = { idempotencyKey: 'cleaning-job-8812:part-3' };
    const many: PublishManyResult = await producer.publishMany(dials, options);
    await producer.publish(dial, { idempotencyKey: 'call-9f3a' });
    return many.enqueued + many.skipped + (skipped ? 1 : 0);
  } catch (err) {
    if (err instanceof DialValidationError) return err.issues.map((issue) => issue.field).length;
    if (err instanceof PublishManyError) return err.enqueued + err.failedShards + err.errors.length;
    if (err instanceof IdempotencyConflictError) return err.idempotencyKey.length + Number(err.retryable);
    if (err instanceof ReplicationError) return err.acknowledged - err.required + Number(err.retryable);
    throw err;
  } finally {
    await producer.close();
  }
}

// @ts-expect-error exactly one of redisUrl, clusterNodes and redis
createDialProducer({ redisUrl: 'redis://127.0.0.1:6379', clusterNodes: ['10.0.0.5:6379'] });
// @ts-expect-error contact is a boolean
export const wrong: DialInput = { ...dial, contact: 'yes' };

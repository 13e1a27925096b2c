import { afterEach, describe, expect, it } from '@jest/globals';
import { sleep, waitFor } from '@outboundiq/testkit';
import { sampleDial, startPipeline, type Pipeline } from '../src/harness.js';

/** The failed job of the one delivery `company` got, once BullMQ has recorded it. */
async function failedReasonOf(p: Pipeline, webhookId: string): Promise<string> {
  let reason: string | undefined;
  await waitFor(async () => {
    const failed = await p.queues.getFailed();
    reason = failed.find((j) => j.data.webhookId === webhookId)?.failedReason;
    return reason !== undefined;
  }, 10_000, 'the failed delivery');
  return reason!;
}

// Names that resolve to private addresses, and DNS rebinding, need a fake resolver injected into the
// sender: those cases live with the sender, in apps/sender/test/destinations.int.test.ts.
describe('send-time destination policy (ALLOW_PRIVATE_DESTINATIONS=false)', () => {
  let p: Pipeline | undefined;
  afterEach(async () => {
    await p?.close();
    p = undefined;
  });

  it('a real HTTPS receiver on 127.0.0.1 receives nothing; the failure says why, without a retry', async () => {
    p = await startPipeline('ssrf-loopback', { ALLOW_PRIVATE_DESTINATIONS: 'false' });
    // Stored directly: the admin API would refuse this URL at save time already.
    const hook = await p.createWebhook('probe', '/internal');
    await p.producer.publish(sampleDial('probe'));
    const reason = await failedReasonOf(p, hook.id);
    expect(reason).toMatch(/destination refused: .*127\.0\.0\.1.*loopback/);
    await sleep(1_000);
    expect(p.receiver.requests).toHaveLength(0);
    const refusals = p.logs.lines.filter((l) => l.webhookId === hook.id && l.level === 50);
    expect(refusals).toHaveLength(1);
    expect(p.logs.lines.some((l) => l.webhookId === hook.id && l.msg === 'delivery attempt failed; retrying once')).toBe(false);
  });
});

describe('redirects are never followed', () => {
  it('a 302 to the metadata service is a failure, not a request to it', async () => {
    const p = await startPipeline('ssrf-redirect');
    try {
      const hook = await p.createWebhook('redirect', '/redir');
      p.receiver.respond('/redir', () => ({ status: 302, headers: { location: 'https://169.254.169.254/latest/meta-data/' } }));
      await p.producer.publish(sampleDial('redirect'));
      expect(await failedReasonOf(p, hook.id)).toBe('delivery failed after 2 attempts: HTTP 302 (redirects are not followed)');
      expect(p.receiver.requestsTo('/redir')).toHaveLength(2);
    } finally {
      await p.close();
    }
  });
});

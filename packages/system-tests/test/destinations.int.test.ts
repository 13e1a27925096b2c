import { afterEach, describe, expect, it } from '@jest/globals';
import type { Resolver } from '@outboundiq/core';
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

  it('a name that resolves to a private address is refused before any connection', async () => {
    const resolve: Resolver = async () => [{ address: '127.0.0.1' }];
    p = await startPipeline('ssrf-name', { ALLOW_PRIVATE_DESTINATIONS: 'false' }, { resolve });
    const hook = await p.createWebhook('named', '/named');
    await p.store.update('named', hook.id, { url: `https://localhost.example.com:${p.receiver.port}/named` });
    await p.producer.publish(sampleDial('named'));
    expect(await failedReasonOf(p, hook.id)).toMatch(/localhost\.example\.com resolved to 127\.0\.0\.1/);
    expect(p.receiver.requests).toHaveLength(0);
  });

  it('DNS rebinding (public first, then 127.0.0.1) never reaches the loopback receiver', async () => {
    const answers: string[] = [];
    const resolve: Resolver = async () => {
      const address = answers.length === 0 ? '93.184.216.34' : '127.0.0.1';
      answers.push(address);
      return [{ address }];
    };
    p = await startPipeline('ssrf-rebind', { ALLOW_PRIVATE_DESTINATIONS: 'false', DELIVERY_TIMEOUT_MS: '1000' }, { resolve });
    const hook = await p.createWebhook('rebind', '/rebind');
    await p.store.update('rebind', hook.id, { url: `https://rebind.example.com:${p.receiver.port}/rebind` });
    await p.producer.publish(sampleDial('rebind'));
    const reason = await failedReasonOf(p, hook.id);
    expect(reason).toMatch(/destination refused|delivery failed/);
    expect(answers[0]).toBe('93.184.216.34');
    expect(p.receiver.requests).toHaveLength(0);
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

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { COMPANY_SLUG_MAX_LENGTH } from '@outboundiq/core';
import { freePort, spawnApp, verifyWithDocNode, waitFor, type AppProcess, type ReceivedRequest } from '@outboundiq/testkit';
import { REDIS_URL, sampleDial, startPipeline, type Pipeline } from '../src/harness.js';

const TOKEN = 'long-slug-token-0123456789';
/** The longest slug the contract allows; the admin once answered 414 past 100 characters. */
const SLUG = `long-slug-${'x'.repeat(COMPANY_SLUG_MAX_LENGTH - 10)}`;

/**
 * A company with a 128-character slug, the whole way: the built admin as a process (the way
 * operators run it) creates its webhook and sends a test dial; the producer publishes a dial of its
 * own; the batcher and sender deliver both to a real HTTPS receiver, signed with the secret the
 * admin showed.
 */
describe(`a company whose slug has ${COMPANY_SLUG_MAX_LENGTH} characters`, () => {
  let p: Pipeline;
  let admin: AppProcess;
  let base: string;
  const auth = { authorization: `Bearer ${TOKEN}` };

  beforeAll(async () => {
    p = await startPipeline('long-slug');
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    admin = spawnApp('admin', {
      REDIS_URL, KEY_PREFIX: p.prefix, SHARDS: '1', ADMIN_API_TOKENS: TOKEN, PORT: String(port), HOST: '127.0.0.1',
      ALLOW_PRIVATE_DESTINATIONS: 'true', LOG_LEVEL: 'warn', NODE_ENV: 'test',
    });
    await waitFor(async () => (await fetch(`${base}/readyz`).catch(() => undefined))?.status === 200, 20_000, 'the admin ready');
  }, 60_000);
  afterAll(async () => {
    await admin?.kill('SIGTERM');
    await p?.close();
  });

  it('is managed through the admin and receives the admin\'s test dial and the producer\'s dials', async () => {
    expect(SLUG).toHaveLength(128);
    const created = await fetch(`${base}/v1/companies/${SLUG}/webhooks`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'CRM', url: p.receiver.url('/long') }),
    });
    expect(created.status).toBe(201);
    const { id, signingSecret, companySlug } = (await created.json()) as { id: string; signingSecret: string; companySlug: string };
    expect(companySlug).toBe(SLUG);

    const test = await fetch(`${base}/v1/companies/${SLUG}/webhooks/${id}/test`, { method: 'POST', headers: auth });
    expect(test.status).toBe(202);
    expect(await test.json()).toEqual({ enqueued: true });
    const [sample] = await p.receiver.waitForRequests('/long', 1);
    expect(dialsOf(sample!)).toEqual([expect.objectContaining({ companySlug: SLUG, campaign: 'outboundIQ test dial' })]);

    await expect(p.producer.publish(sampleDial(SLUG, 1))).resolves.toEqual({ enqueued: true });
    const [, published] = await p.receiver.waitForRequests('/long', 2);
    expect(dialsOf(published!)).toEqual([sampleDial(SLUG, 1)]);

    const signed = (r: ReceivedRequest) => ({ body: r.body, header: r.headers['x-outboundiq-signature'] as string, secret: signingSecret });
    expect(await verifyWithDocNode([signed(sample!), signed(published!)])).toEqual([true, true]);

    const list = await fetch(`${base}/v1/companies/${SLUG}/webhooks`, { headers: auth });
    expect(((await list.json()) as { webhooks: { id: string }[] }).webhooks.map((w) => w.id)).toEqual([id]);
  });

  it('refuses a 129-character slug with 400 naming companySlug, in the contract\'s error body', async () => {
    const res = await fetch(`${base}/v1/companies/${SLUG}x/webhooks`, { headers: auth });
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as { error: { code: string; details: { field: string }[] } };
    expect(error.code).toBe('invalid_request');
    expect(error.details.map((d) => d.field)).toEqual(['companySlug']);
  });
});

function dialsOf(request: ReceivedRequest): unknown[] {
  return (JSON.parse(request.body.toString('utf8')) as { dials: unknown[] }).dials;
}

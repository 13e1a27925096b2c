import type { Keys } from '@outboundiq/core';
import { startHttpsReceiver, verifyWithDocNode, type Receiver } from '@outboundiq/testkit';
import { createDialProducer } from '@outboundiq/webhook-producer';

export interface DemoOptions {
  adminUrl: string;
  token: string;
  redisUrl: string;
  keys: Keys;
  tls: { cert: string; key: string };
  /** Dials per second. */
  rate: number;
  say: (line: string) => void;
}

export interface Demo {
  stop(): Promise<void>;
}

const COMPANY = 'demo-company';
const NAME = 'demo receiver';
const CAMPAIGNS = ['Q2 Outbound Push', 'Renewals', 'Win-back'];
const DISPOSITIONS = [['Sale', true], ['No Answer', false], ['Callback', false], ['Not Interested', false]] as const;

/**
 * A customer in miniature: a webhook made through the admin API, pointing at an HTTPS receiver that
 * checks every signature with the doc's Node.js snippet, and sample dials published through the
 * producer library.
 */
export async function startDemo(options: DemoOptions): Promise<Demo> {
  const { say } = options;
  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${options.adminUrl}/v1/companies/${COMPANY}/webhooks${path}`, {
      method,
      headers: { authorization: `Bearer ${options.token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    if (!res.ok) throw new Error(`admin API ${method} ${path || '/'}: ${res.status} ${await res.text()}`);
    return res.status === 204 ? undefined : ((await res.json()) as Record<string, unknown>);
  };

  // Webhooks of earlier demo runs point at receivers that are gone: replace them.
  const existing = (await api('GET', '')) as { webhooks: { id: string; name: string }[] };
  for (const old of existing.webhooks.filter((w) => w.name === NAME)) await api('DELETE', `/${old.id}`);

  let secret = '';
  let batches = 0;
  const receiver: Receiver = await startHttpsReceiver(options.tls);
  receiver.respond('/demo', async (request) => {
    const header = request.headers['x-outboundiq-signature'] as string | undefined;
    const [verified] = await verifyWithDocNode([{ body: request.body, header, secret }]);
    const payload = JSON.parse(request.body.toString('utf8')) as { deliveryId: string; dials: { callId: string; campaign: string }[] };
    const sentAt = Math.min(...payload.dials.map((d) => Number(d.callId.split('-')[1])));
    batches += 1;
    say(`${verified ? '✓' : '✗'} batch ${batches}: ${payload.dials.length} dial(s) for ${COMPANY}, deliveryId ${payload.deliveryId}, signature ${verified ? 'verified' : 'INVALID'}, ${Date.now() - sentAt} ms after publish`);
    return { status: verified ? 200 : 401 };
  });
  const created = (await api('POST', '', { name: NAME, url: receiver.url('/demo'), headers: { 'X-Demo': 'yes' } })) as { id: string; signingSecret: string };
  secret = created.signingSecret;
  say(`demo: webhook ${created.id} of ${COMPANY} -> ${receiver.url('/demo')} (its signing secret was shown once, to this script)`);
  say(`demo: publishing about ${options.rate} dials/s, with a burst of 25 every 10 s; batches print below`);

  const producer = createDialProducer({ redisUrl: options.redisUrl, keyPrefix: options.keys.prefix });
  let n = 0;
  const dial = () => {
    n += 1;
    const [disposition, success] = DISPOSITIONS[n % DISPOSITIONS.length]!;
    return {
      companySlug: COMPANY,
      callId: `D-${Date.now()}-${n}`,
      callDirection: n % 5 === 0 ? 'inbound' : 'outbound',
      timestamp: new Date(),
      ani: '(555) 123-4567',
      phone: `+1 555 ${String(1000000 + n).slice(-7)}`,
      campaign: CAMPAIGNS[n % CAMPAIGNS.length]!,
      campaignInternalId: `cmp-${n % CAMPAIGNS.length}`,
      agent: 'Jane Doe',
      disposition,
      dispositionId: String(n % DISPOSITIONS.length),
      contact: success || n % 2 === 0,
      success,
      isSystemDispo: disposition === 'No Answer',
      totalDialAttempts: 1 + (n % 4),
    };
  };
  const publishError = (err: unknown) => say(`demo: publish failed: ${err instanceof Error ? err.message : String(err)}`);
  const steady = setInterval(() => void producer.publish(dial()).catch(publishError), Math.max(10, 1000 / options.rate));
  const burst = setInterval(() => void producer.publishMany(Array.from({ length: 25 }, dial)).catch(publishError), 10_000);

  return {
    async stop() {
      clearInterval(steady);
      clearInterval(burst);
      await producer.close();
      await api('DELETE', `/${created.id}`).catch(() => undefined);
      await receiver.close();
      say(`demo: ${batches} batches received`);
    },
  };
}

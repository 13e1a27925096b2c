import { describe, expect, it } from '@jest/globals';
import { ValidationError } from '../errors.js';
import { parseOrThrow } from '../validation.js';
import { webhookCreateSchema, webhookUpdateSchema } from '../webhook.js';
import { checkWebhookHost, createHostCheck } from './host-check.js';

const checkHost = createHostCheck({ allowPrivate: false });
const create = webhookCreateSchema({ checkHost });
const update = webhookUpdateSchema({ checkHost });

describe('createHostCheck', () => {
  it.each([
    ['https://localhost/hook', 'a loopback name'],
    ['https://LOCALHOST./hook', 'a loopback name'],
    ['https://api.localhost:8443/', 'a loopback name'],
    ['https://metadata.google.internal/computeMetadata/v1/', 'a private-network name (.internal)'],
    ['https://ip-10-0-0-1.ec2.internal/', 'a private-network name (.internal)'],
    ['https://redis.default.svc.cluster.local/', 'a private-network name (.local)'],
    ['https://Redis.Default.Svc.Cluster.Local./', 'a private-network name (.local)'],
    ['https://printer.local/', 'a private-network name (.local)'],
    ['https://redis.default.svc/', 'a private-network name (.svc)'],
    ['https://nas.home.arpa/', 'a private-network name (.home.arpa)'],
    ['https://redis/', 'a single-label name'],
    ['https://metadata/', 'a single-label name'],
    ['https://127.1/hook', 'a loopback address (127.0.0.0/8)'],
    ['https://0x7f.1/hook', 'a loopback address (127.0.0.0/8)'],
    ['https://[::ffff:127.0.0.1]/', 'an IPv4-mapped IPv6 address of 127.0.0.1, a loopback address'],
    ['https://[::ffff:7f00:1]/', 'an IPv4-mapped IPv6 address of 127.0.0.1'],
    ['https://169.254.169.254/latest/meta-data/', 'a link-local address'],
    ['https://%31%32%37.0.0.1/', 'a loopback address'],
    ['https://\uFF11\uFF12\uFF17\u3002\uFF10\u3002\uFF10\u3002\uFF11/', 'a loopback address'],
  ])('refuses %s', (url, why) => {
    let error: unknown;
    try {
      parseOrThrow(create, { name: 'hook', url });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ValidationError);
    const issue = (error as ValidationError).issues[0];
    expect(issue?.field).toBe('url');
    expect(issue?.message).toContain(why);
    expect(issue?.message).toMatch(/^host \S+ is .+; webhooks must point to the public internet$/);
    expect(update.safeParse({ url }).success).toBe(false);
  });

  it('names the host as the URL parser read it', () => {
    expect(checkWebhookHost(new URL('https://127.1/hook'))).toBe(
      'host 127.0.0.1 is a loopback address (127.0.0.0/8); webhooks must point to the public internet',
    );
  });

  it.each([
    'https://hooks.example.com/outboundiq',
    'https://example.co.uk:8443/a?b=c',
    'https://xn--bcher-kva.example/',
    'https://8.8.8.8/hook',
    'https://[2606:4700::1111]/hook',
    'https://local.example.com/',
    'https://internal.example.com/',
    'https://localhost.example.com/',
  ])('accepts %s', (url) => {
    expect(create.parse({ name: 'hook', url }).url).toBe(url);
  });

  it('is absent when private destinations are allowed', () => {
    expect(createHostCheck({ allowPrivate: true })).toBeUndefined();
    expect(webhookCreateSchema({}).parse({ name: 'hook', url: 'https://localhost/' }).url).toBe('https://localhost/');
  });
});

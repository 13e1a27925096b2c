import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DestinationBlockedError, isDestinationBlocked } from './blocked-error.js';
import { createVettedAgent } from './agent.js';
import { createVettedLookup, type Resolver } from './lookup.js';

// A real HTTPS receiver on loopback that counts TCP connections: a blocked request must not reach it.
let dir: string;
let server: https.Server;
let port: number;
let ca: string;
let connections = 0;
const toLoopback: Resolver = async () => [{ address: '127.0.0.1' }];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'oiq-net-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=DNS:localhost,DNS:hook.example.com,IP:127.0.0.1',
    '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'pipe' });
  ca = readFileSync(join(dir, 'cert.pem'), 'utf8');
  server = https.createServer({ key: readFileSync(join(dir, 'key.pem')), cert: ca }, (_req, res) => res.end('ok'));
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

function get(url: string, options: https.RequestOptions): Promise<{ status?: number; body?: string; remote?: string; err?: Error }> {
  return new Promise((resolve) => {
    const req = https.get(url, { ca, ...options }, (res) => {
      let body = '';
      const remote = res.socket.remoteAddress!;
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, body, remote }));
    });
    req.on('error', (err) => resolve({ err }));
  });
}

async function expectBlockedWithoutConnecting(url: string, options: https.RequestOptions) {
  const before = connections;
  const { err } = await get(url, options);
  expect(err).toBeInstanceOf(DestinationBlockedError);
  expect(isDestinationBlocked(err)).toBe(true);
  await new Promise((r) => setTimeout(r, 50));
  expect(connections).toBe(before);
}

describe('createVettedAgent against a real loopback receiver', () => {
  it('refuses https://127.0.0.1:<port>/ without connecting', async () => {
    const agent = createVettedAgent({ allowPrivate: false, keepAlive: true, minVersion: 'TLSv1.2' });
    await expectBlockedWithoutConnecting(`https://127.0.0.1:${port}/`, { agent });
    await expectBlockedWithoutConnecting(`https://[::ffff:127.0.0.1]:${port}/`, { agent });
    agent.destroy();
  });

  it('refuses a name that resolves to loopback without connecting', async () => {
    const agent = createVettedAgent({ allowPrivate: false, resolve: toLoopback });
    await expectBlockedWithoutConnecting(`https://hook.example.com:${port}/`, { agent });
    agent.destroy();
  });

  it('keeps its lookup over a per-request lookup (got dnsLookup)', async () => {
    const agent = createVettedAgent({ allowPrivate: false, resolve: toLoopback });
    const sneaky: net.LookupFunction = (_host, _options, callback) => callback(null, [{ address: '127.0.0.1', family: 4 }]);
    await expectBlockedWithoutConnecting(`https://hook.example.com:${port}/`, { agent, lookup: sneaky });
    agent.destroy();
  });

  it('connects to exactly the vetted address when private destinations are allowed', async () => {
    const agent = createVettedAgent({ allowPrivate: true, resolve: toLoopback });
    const before = connections;
    await expect(get(`https://hook.example.com:${port}/`, { agent })).resolves.toEqual({ status: 200, body: 'ok', remote: '127.0.0.1' });
    await expect(get(`https://127.0.0.1:${port}/`, { agent })).resolves.toMatchObject({ status: 200 });
    expect(connections).toBeGreaterThan(before);
    agent.destroy();
  });
});

describe('createVettedLookup on its own', () => {
  it('stops net.connect to a name that resolves to loopback', async () => {
    const before = connections;
    const lookup = createVettedLookup({ allowPrivate: false, resolve: toLoopback });
    const err = await new Promise<Error>((resolve) => {
      net.connect({ host: 'hook.example.com', port, lookup }).on('error', resolve).on('connect', () => resolve(new Error('connected')));
    });
    expect(err).toBeInstanceOf(DestinationBlockedError);
    expect(connections).toBe(before);
  });

  it('is not called for IP-literal hosts (why the sender must use createVettedAgent)', async () => {
    const before = connections;
    const agent = new https.Agent({ lookup: createVettedLookup({ allowPrivate: false }) });
    await expect(get(`https://127.0.0.1:${port}/`, { agent })).resolves.toMatchObject({ status: 200 });
    expect(connections).toBe(before + 1);
    agent.destroy();
  });
});

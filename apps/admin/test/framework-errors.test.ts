import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { API_ERROR_CODES } from '../src/errors.js';
import { BODY_LIMIT_BYTES, MAX_PARAM_LENGTH } from '../src/framework-errors.js';
import { AUTH, TOKENS, createHarness, type Harness } from './harness.js';

// A stand-in for the built page, so its static routes are among those hit.
const webRoot = mkdtempSync(join(tmpdir(), 'oiq-web-'));
mkdirSync(join(webRoot, 'assets'));
writeFileSync(join(webRoot, 'index.html'), '<!doctype html><title>Webhooks</title>');
writeFileSync(join(webRoot, 'assets', 'index-abc123.js'), 'document.title = "ok";');

let h: Harness;
beforeAll(() => {
  h = createHarness('framework-errors', { webRoot });
});
afterAll(async () => {
  await h.close();
  rmSync(webRoot, { recursive: true, force: true });
});

interface Answer {
  statusCode: number;
  headers: Record<string, unknown>;
  body: string;
}

/**
 * The contract's error body (CONTRACT section 3), exactly: `{ error: { code, message, details? } }`.
 * Bull Board's own answers to its UI (a queue or job it does not know, a read-only queue) stay in
 * its protocol, `{ error: { key } }`, which its UI translates; fastify's refusals never take it.
 */
function expectContractError(res: Answer, path: string): void {
  expect(String(res.headers['content-type'])).toMatch(/^application\/json/);
  const body = JSON.parse(res.body) as { error?: Record<string, unknown> };
  const key = body.error?.key;
  if (path.startsWith('/admin/queues/') && typeof key === 'string' && key !== 'ERRORS.INTERNAL_SERVER_ERROR') return;
  expect(Object.keys(body)).toEqual(['error']);
  const { code, message, details, ...rest } = body.error!;
  expect(rest).toEqual({});
  expect(API_ERROR_CODES).toContain(code);
  expect(typeof message).toBe('string');
  if (details !== undefined) expect(Array.isArray(details)).toBe(true);
}

const PREFIXES = [
  '/', '/v1', '/v1/companies', '/v1/companies/acme', '/v1/companies/acme/webhooks', '/v1/companies/acme/webhooks/wh_000000000000000000000000',
  '/admin/queues', '/admin/queues/api/queues', '/admin/queues/queue', '/admin/queues/static', '/settings/webhooks', '/settings/webhooks/assets',
  '/healthz', '/readyz', '/metrics', '/v1/openapi.json',
];
const segment = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9._~-]{0,12}$/),
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 6 }),
  fc.constantFrom('%', '%zz', '%E0%A4%A', '%2F', '%00', '..', '.', '', ';x=1', 'webhooks', 'rotate-secret', 'test', 'deliveries', 'index-abc123.js'),
  // Around the router's limit and past it, and around the slug's.
  fc.integer({ min: 95, max: 135 }).map((n) => 's'.repeat(n)),
  fc.constantFrom(MAX_PARAM_LENGTH, MAX_PARAM_LENGTH + 1, 5_000).map((n) => 'p'.repeat(n)),
);
const path = fc
  .tuple(fc.constantFrom(...PREFIXES), fc.array(segment, { maxLength: 4 }), fc.option(fc.string({ maxLength: 20 }), { nil: undefined }))
  .map(([prefix, segments, query]) => `${[prefix.replace(/\/$/, ''), ...segments].join('/') || '/'}${query === undefined ? '' : `?${query}`}`);
const method = fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'TRACE', 'PROPFIND', 'SEARCH', 'LOCK');
const contentType = fc.option(
  fc.constantFrom(
    'application/json', 'application/json; charset=utf-8', 'APPLICATION/JSON', 'application/json; charset=latin1', 'text/plain',
    'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/octet-stream', 'application/jsonx', '', ';', 'x/y/z',
  ),
  { nil: undefined },
);
const body = fc.option(
  fc.oneof(
    fc.json(),
    fc.string(),
    fc.constantFrom('{', '{"name": "CRM", "url": ', '[1,', 'nul', '{"__proto__": {"x": 1}}', '{"constructor": {"prototype": {"x": 1}}}', '\u0000'),
    fc.constantFrom(BODY_LIMIT_BYTES - 2, BODY_LIMIT_BYTES, BODY_LIMIT_BYTES + 1, 4 * BODY_LIMIT_BYTES).map((n) => `"${'b'.repeat(n - 2)}"`),
  ),
  { nil: undefined },
);
const authorization = fc.oneof(
  { weight: 4, arbitrary: fc.constant(AUTH.authorization) },
  fc.constantFrom(undefined, 'Bearer wrong', `Basic ${Buffer.from(`x:${TOKENS[1]}`).toString('base64')}`, 'Bearer'),
);

describe('whatever fastify refuses on its own', () => {
  it('answers in the contract\'s error body, never with a 5xx (random methods, paths, content types, bodies)', async () => {
    await fc.assert(
      fc.asyncProperty(method, path, contentType, body, authorization, async (m, url, type, payload, auth) => {
        // fastify's inject builds a WHATWG URL first, and throws before sending for a path such as
        // "/\\" (a backslash reads as a slash, leaving an empty host). Those go over the wire below.
        fc.pre(URL.canParse(url, 'http://localhost'));
        const headers: Record<string, string> = {};
        if (auth !== undefined) headers.authorization = auth;
        if (type !== undefined) headers['content-type'] = type;
        const res = await h.app.inject({ method: m as 'GET', url, headers, ...(payload === undefined ? {} : { payload }) });
        expect(res.statusCode).toBeLessThan(500);
        // A HEAD answer has no body to read.
        if (res.statusCode >= 400 && m !== 'HEAD') expectContractError(res, url);
      }),
      { numRuns: 1_500 },
    );
  }, 120_000);

  it.each([
    ['an unknown route', 'GET', 404, 'not_found', '/v2/nothing', {}, undefined],
    ['an unknown method', 'PROPFIND', 404, 'not_found', '/v1/companies/acme/webhooks', {}, undefined],
    ['malformed JSON', 'POST', 400, 'invalid_request', '/v1/companies/acme/webhooks', { 'content-type': 'application/json' }, '{"name": '],
    ['an oversized body', 'POST', 400, 'invalid_request', '/v1/companies/acme/webhooks', { 'content-type': 'application/json' }, `"${'b'.repeat(BODY_LIMIT_BYTES)}"`],
    ['a form body', 'POST', 400, 'invalid_request', '/v1/companies/acme/webhooks', { 'content-type': 'application/x-www-form-urlencoded' }, 'name=CRM'],
    ['a bad percent-encoding', 'GET', 404, 'not_found', '/v1/nothing/%zz', {}, undefined],
    ['a long parameter of no route', 'GET', 404, 'not_found', `/admin/queues/queue/${'q'.repeat(MAX_PARAM_LENGTH + 1)}`, {}, undefined],
    // Inside Bull Board's plugin, which has an error handler of its own.
    ['malformed JSON to Bull Board', 'PUT', 400, 'invalid_request', '/admin/queues/api/queues/deliveries/pause', { 'content-type': 'application/json' }, '{'],
    ['a form body to Bull Board', 'PUT', 400, 'invalid_request', '/admin/queues/api/queues/deliveries/pause', { 'content-type': 'text/plain' }, 'x'],
  ] as const)('%s: %s is %i %s', async (_label, m, status, code, url, extra, payload) => {
    const res = await h.app.inject({ method: m, url, headers: { ...AUTH, ...extra }, ...(payload === undefined ? {} : { payload }) });
    expect(res.statusCode).toBe(status);
    expect(res.json().error.code).toBe(code);
    expectContractError(res, url);
  });

  it('leaves Bull Board\'s UI, its API and the Settings page working', async () => {
    const board = await h.app.inject({ method: 'GET', url: '/admin/queues', headers: AUTH });
    expect(board.statusCode).toBe(200);
    expect(board.headers['content-type']).toMatch(/^text\/html/);
    expect((await h.app.inject({ method: 'GET', url: '/admin/queues/static/favicon-32x32.png', headers: AUTH })).statusCode).toBe(200);
    expect((await h.app.inject({ method: 'GET', url: '/admin/queues/api/queues', headers: AUTH })).statusCode).toBe(200);
    expect((await h.app.inject({ method: 'GET', url: '/settings/webhooks' })).statusCode).toBe(200);
    expect((await h.app.inject({ method: 'GET', url: '/settings/webhooks/assets/index-abc123.js' })).statusCode).toBe(200);
  });
});

describe('what Node\'s HTTP parser refuses, over a real socket', () => {
  let port: number;
  beforeAll(async () => {
    await h.app.listen({ port: 0, host: '127.0.0.1' });
    const address = h.app.server.address();
    if (address === null || typeof address === 'string') throw new Error('no TCP address');
    port = address.port;
  });

  /** Sends raw bytes and reads the answer until the server closes the connection. */
  const raw = (request: string) =>
    new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => socket.write(request));
      let answer = '';
      socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
      socket.on('error', reject);
      socket.on('close', () => resolve(answer));
    });

  function parse(answer: string): Answer & { statusLine: string } {
    const [head = '', body = ''] = answer.split('\r\n\r\n');
    const [statusLine = '', ...lines] = head.split('\r\n');
    const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
    return { statusLine, statusCode: Number(statusLine.split(' ')[1]), headers, body };
  }

  it.each([
    // Past Node's 16 KiB limit on the request line and headers: fastify would answer 431 in its own shape.
    ['a path past the header size limit', `GET /v1/companies/${'x'.repeat(20_000)}/webhooks HTTP/1.1\r\nHost: x\r\n\r\n`],
    ['a header past the size limit', `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'h'.repeat(20_000)}\r\n\r\n`],
    ['a request line that is not HTTP', 'HELLO THERE\r\n\r\n'],
    ['a bad header', 'GET /healthz HTTP/1.1\r\nHost x\r\n\r\n'],
  ])('%s: 400 invalid_request in the contract\'s body', async (_label, request) => {
    const res = parse(await raw(request));
    expect(res.statusCode).toBe(400);
    expectContractError(res, '/');
    expect(JSON.parse(res.body).error.code).toBe('invalid_request');
  });

  it.each(['/\\', '/\\\\x', '//', '/v1\\companies'])('answers a path the inject client cannot send (%j) as routes do, on the wire', async (path) => {
    const get = (auth: string) => raw(`GET ${path} HTTP/1.1\r\nHost: x\r\n${auth}Connection: close\r\n\r\n`);
    const anonymous = parse(await get(''));
    expect(anonymous.statusCode).toBe(401);
    expectContractError(anonymous, path);
    const signedIn = parse(await get(`Authorization: ${AUTH.authorization}\r\n`));
    expect(signedIn.statusCode).toBe(404);
    expectContractError(signedIn, path);
  });

  it('answers a 128-character slug and a too long one as routes do, on the wire', async () => {
    const get = (slug: string) => raw(`GET /v1/companies/${slug}/webhooks HTTP/1.1\r\nHost: x\r\nAuthorization: ${AUTH.authorization}\r\nConnection: close\r\n\r\n`);
    expect(parse(await get('w'.repeat(128))).statusCode).toBe(200);
    const tooLong = parse(await get('w'.repeat(MAX_PARAM_LENGTH + 1)));
    expect(tooLong.statusCode).toBe(400);
    expect(JSON.parse(tooLong.body).error.details[0].field).toBe('companySlug');
  });
});

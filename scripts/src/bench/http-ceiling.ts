import { EVENT_TYPES, HEADER_NAMES, USER_AGENT } from '@outboundiq/core';
import { Agent, request } from 'node:https';
import got from 'got';
import { Agent as UndiciAgent, request as undiciRequest } from 'undici';
import { sampleBody } from './dials.js';
import { cpuSeconds, round } from './procs.js';
import type { BenchReceiver } from './receiver.js';

export interface HttpRow {
  client: string;
  concurrency: number;
  bodyBytes: number;
  posts: number;
  postsPerSecond: number;
  /** CPU of this (the client) process per POST, in microseconds. */
  clientCpuUsPerPost: number;
  /** Share of one core used by the client and the receiver. */
  cpu: Record<string, number>;
}

type Post = (url: string, headers: Record<string, string>, body: string) => Promise<number>;

/** got as the sender uses it: a stream, no retries, no redirects, no decompression, keep-alive. */
function gotPost(ca: string): { post: Post; close(): void } {
  const agent = new Agent({ keepAlive: true, maxSockets: 256, ca });
  const client = got.extend({
    agent: { https: agent },
    retry: { limit: 0 },
    followRedirect: false,
    throwHttpErrors: false,
    decompress: false,
    timeout: { request: 10_000 },
    https: { rejectUnauthorized: true, minVersion: 'TLSv1.2' },
  });
  return {
    post: (url, headers, body) =>
      new Promise((resolve, reject) => {
        const stream = client.stream.post(url, { body, headers });
        let status = 0;
        stream.on('response', (res: { statusCode: number }) => (status = res.statusCode));
        stream.on('data', () => {});
        stream.on('end', () => {
          resolve(status);
          stream.destroy();
        });
        stream.on('error', reject);
      }),
    close: () => agent.destroy(),
  };
}

/** Node's own https.request over a keep-alive agent. */
function nodePost(ca: string): { post: Post; close(): void } {
  const agent = new Agent({ keepAlive: true, maxSockets: 256, minVersion: 'TLSv1.2', ca });
  return {
    post: (url, headers, body) =>
      new Promise((resolve, reject) => {
        const req = request(url, { method: 'POST', agent, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) }, timeout: 10_000 }, (res) => {
          res.on('data', () => {});
          res.on('end', () => resolve(res.statusCode ?? 0));
          res.on('error', reject);
        });
        req.on('error', reject);
        req.end(body);
      }),
    close: () => agent.destroy(),
  };
}

/** undici 7 (the last major for Node 20) over its own keep-alive pool: what a switch would buy. It follows no redirects unless told. */
function undiciPost(ca: string): { post: Post; close(): void } {
  const dispatcher = new UndiciAgent({ connections: 256, connect: { ca, minVersion: 'TLSv1.2' }, headersTimeout: 10_000, bodyTimeout: 10_000 });
  return {
    post: async (url, headers, body) => {
      const res = await undiciRequest(url, { method: 'POST', headers, body, dispatcher });
      await res.body.dump();
      return res.statusCode;
    },
    close: () => void dispatcher.close(),
  };
}

// The test CA is given to each agent: this process is not started with NODE_EXTRA_CA_CERTS.
export const HTTP_CLIENTS: Record<string, (ca: string) => { post: Post; close(): void }> = { got: gotPost, 'node:https': nodePost, 'undici 7': undiciPost };

/** Section 5: POSTs per second of a 100-dial body to the receiver, per client, for `seconds`. */
export async function benchHttpCeiling(receiver: BenchReceiver, ca: string, seconds: number, concurrency: number): Promise<HttpRow[]> {
  const body = sampleBody(100);
  const headers = { 'content-type': 'application/json', 'user-agent': USER_AGENT, [HEADER_NAMES.event]: EVENT_TYPES.dialBatch };
  const url = receiver.url('/ceiling');
  const rows: HttpRow[] = [];
  for (const [name, make] of Object.entries(HTTP_CLIENTS)) {
    const client = make(ca);
    // Warm up: open the connections.
    await Promise.all(Array.from({ length: concurrency }, () => client.post(url, headers, body)));
    await receiver.reset();
    const cpuBefore = { bench: cpuSeconds(process.pid), receiver: cpuSeconds(receiver.pid) };
    const startedAt = performance.now();
    const until = startedAt + seconds * 1000;
    let posts = 0;
    const lane = async () => {
      while (performance.now() < until) {
        const status = await client.post(url, headers, body);
        if (status !== 200) throw new Error(`${name}: HTTP ${status}`);
        posts++;
      }
    };
    await Promise.all(Array.from({ length: concurrency }, lane));
    const elapsed = (performance.now() - startedAt) / 1000;
    const benchCpu = cpuSeconds(process.pid) - cpuBefore.bench;
    rows.push({
      client: name,
      concurrency,
      bodyBytes: Buffer.byteLength(body),
      posts,
      postsPerSecond: round(posts / elapsed),
      clientCpuUsPerPost: round((benchCpu / posts) * 1e6),
      cpu: { bench: round(benchCpu / elapsed, 2), receiver: round((cpuSeconds(receiver.pid) - cpuBefore.receiver) / elapsed, 2) },
    });
    client.close();
  }
  return rows;
}

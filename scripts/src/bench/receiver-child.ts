/**
 * The benchmark's HTTPS receiver, run as its own process so its work never shares an event loop
 * with the code that measures. Keep-alive, answers 200 at once, and for every request counts the
 * dials in the body and the latency of each from the publish time its callId carries (`p<ms>.<n>`).
 *
 * IPC in: { cmd: 'reset' } | { cmd: 'stats' }. Out: { type: 'ready', port }, { type: 'progress',
 * requests, dials } every few ms while requests arrive, { type: 'stats', ... } on request.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';

const MAX_MS = 120_000;
const MARKER = '"callId":"p';

let histogram = new Uint32Array(MAX_MS + 1);
let requests = 0;
let dials = 0;
let firstAt = 0;
let lastAt = 0;
let dirty = false;

function record(body: string, at: number): void {
  let found = 0;
  let i = body.indexOf(MARKER);
  while (i !== -1) {
    const start = i + MARKER.length;
    const dot = body.indexOf('.', start);
    const published = Number(body.slice(start, dot));
    const ms = Math.min(MAX_MS, Math.max(0, at - published));
    histogram[ms]!++;
    found++;
    i = body.indexOf(MARKER, dot);
  }
  requests++;
  dials += found;
  if (firstAt === 0) firstAt = at;
  lastAt = at;
  dirty = true;
}

function percentile(p: number): number | null {
  if (dials === 0) return null;
  const rank = Math.ceil((p / 100) * dials);
  let seen = 0;
  for (let ms = 0; ms <= MAX_MS; ms++) {
    seen += histogram[ms]!;
    if (seen >= rank) return ms;
  }
  return MAX_MS;
}

function mean(): number | null {
  if (dials === 0) return null;
  let sum = 0;
  for (let ms = 0; ms <= MAX_MS; ms++) sum += ms * histogram[ms]!;
  return sum / dials;
}

const server = createServer(
  { cert: readFileSync(process.env.BENCH_CERT!, 'utf8'), key: readFileSync(process.env.BENCH_KEY!, 'utf8'), keepAlive: true, keepAliveTimeout: 60_000 },
  (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      record(Buffer.concat(chunks).toString('latin1'), Date.now());
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' });
      res.end('ok');
    });
  },
);
server.keepAliveTimeout = 60_000;
server.headersTimeout = 65_000;
server.maxRequestsPerSocket = 0;

process.on('message', (message: { cmd: string }) => {
  if (message.cmd === 'reset') {
    histogram = new Uint32Array(MAX_MS + 1);
    requests = dials = firstAt = lastAt = 0;
    process.send!({ type: 'reset' });
  } else if (message.cmd === 'stats') {
    process.send!({
      type: 'stats', requests, dials, firstAt, lastAt,
      p50: percentile(50), p95: percentile(95), p99: percentile(99), max: percentile(100), mean: mean(),
    });
  }
});
process.on('disconnect', () => process.exit(0));

setInterval(() => {
  if (!dirty) return;
  dirty = false;
  process.send!({ type: 'progress', requests, dials });
}, 5).unref();

server.listen(0, '127.0.0.1', () => process.send!({ type: 'ready', port: (server.address() as AddressInfo).port }));

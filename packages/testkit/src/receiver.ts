import { createServer, type Server } from 'node:https';
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { waitFor } from './wait.js';

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The raw body bytes, exactly as signed. */
  body: Buffer;
  receivedAt: number;
  /** When the exchange ended at the receiver (answer sent, or connection cut); unset while open. */
  closedAt?: number;
}

export interface Reply {
  status?: number;
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Answer after this long. */
  delayMs?: number;
  /** Never answer (the socket stays open until the receiver closes). */
  hang?: boolean;
  /** Full control of the response (trickling, oversized bodies...). */
  raw?: (res: ServerResponse) => void;
}

export type Responder = (request: ReceivedRequest, nth: number) => Reply | Promise<Reply>;

export interface Receiver {
  port: number;
  /** `https://127.0.0.1:<port><path>` */
  url(path?: string): string;
  /** Every request in arrival order. */
  readonly requests: ReceivedRequest[];
  requestsTo(path: string): ReceivedRequest[];
  /** Sets how `path` answers; the responder gets the request and its index among that path's requests. */
  respond(path: string, responder: Responder): void;
  waitForRequests(path: string, count: number, timeoutMs?: number): Promise<ReceivedRequest[]>;
  close(): Promise<void>;
}

/** An HTTPS server on loopback that records every request and answers as told (200 by default). */
export async function startHttpsReceiver(tls: { cert: string; key: string }, port = 0): Promise<Receiver> {
  const requests: ReceivedRequest[] = [];
  const responders = new Map<string, Responder>();
  const sockets = new Set<Socket>();
  const counts = new Map<string, number>();

  const server: Server = createServer({ cert: tls.cert, key: tls.key, keepAlive: true }, (req, res) => {
    const chunks: Buffer[] = [];
    let request: ReceivedRequest | undefined;
    let closedAt: number | undefined;
    res.on('close', () => {
      closedAt = Date.now();
      if (request) request.closedAt = closedAt;
    });
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const path = (req.url ?? '/').split('?')[0]!;
      const received: ReceivedRequest = { method: req.method ?? '', path, headers: req.headers, body: Buffer.concat(chunks), receivedAt: Date.now(), ...(closedAt !== undefined ? { closedAt } : {}) };
      request = received;
      requests.push(received);
      const nth = counts.get(path) ?? 0;
      counts.set(path, nth + 1);
      void Promise.resolve((responders.get(path) ?? (() => ({})))(received, nth)).then((reply) => answer(res, reply));
    });
  });
  server.on('secureConnection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const actualPort = (server.address() as AddressInfo).port;

  return {
    port: actualPort,
    url: (path = '/hook') => `https://127.0.0.1:${actualPort}${path}`,
    requests,
    requestsTo: (path) => requests.filter((r) => r.path === path),
    respond: (path, responder) => void responders.set(path, responder),
    async waitForRequests(path, count, timeoutMs = 10_000) {
      await waitFor(() => requests.filter((r) => r.path === path).length >= count, timeoutMs, `${count} requests to ${path}`);
      return requests.filter((r) => r.path === path);
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

function answer(res: ServerResponse, reply: Reply): void {
  if (reply.hang) return;
  if (reply.raw) return reply.raw(res);
  const send = () => {
    if (res.destroyed) return;
    res.writeHead(reply.status ?? 200, { 'content-type': 'text/plain', ...reply.headers });
    res.end(reply.body ?? 'ok');
  };
  if (reply.delayMs) setTimeout(send, reply.delayMs);
  else send();
}

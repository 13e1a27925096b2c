import { createVettedAgent, type Resolver } from '@outboundiq/core';
import got, { RequestError } from 'got';

export interface HttpSettings {
  /** The whole exchange, connect to last byte of the answer (the doc's 10 s). */
  timeoutMs: number;
  /** Bytes of an answer's body we read at most; past that we stop reading. */
  bodyLimitBytes: number;
  /** Lifts the destination policy (loopback and private networks allowed): tests and demos only. */
  allowPrivate: boolean;
  /** Name resolution for the vetted agent (tests give a stub; default: the system resolver). */
  resolve?: Resolver;
  maxSockets?: number;
}

export type AttemptOutcome =
  | { ok: true; status: number }
  | { ok: false; status?: number; error: string; code?: string; cause?: unknown };

export interface DeliveryHttp {
  post(url: string, headers: Record<string, string>, body: string): Promise<AttemptOutcome>;
  close(): void;
}

/**
 * One POST, never retried here (retries live in the delivery), redirects never followed, the answer
 * read only up to a limit and never decompressed (no gzip bomb), TLS always verified (>= 1.2), over
 * keep-alive connections that only ever reach vetted public addresses (core/net).
 */
export function createDeliveryHttp(settings: HttpSettings): DeliveryHttp {
  const agent = createVettedAgent({
    allowPrivate: settings.allowPrivate,
    ...(settings.resolve ? { resolve: settings.resolve } : {}),
    keepAlive: true,
    maxSockets: settings.maxSockets ?? 256,
    minVersion: 'TLSv1.2',
    rejectUnauthorized: true,
  });
  const client = got.extend({
    agent: { https: agent },
    retry: { limit: 0 },
    followRedirect: false,
    throwHttpErrors: false,
    decompress: false,
    timeout: { request: settings.timeoutMs },
    https: { rejectUnauthorized: true, minVersion: 'TLSv1.2' },
  });

  return {
    post(url, headers, body) {
      return new Promise<AttemptOutcome>((resolve) => {
        const stream = client.stream.post(url, { body, headers });
        let status: number | undefined;
        let received = 0;
        const settle = (outcome: AttemptOutcome) => {
          resolve(outcome);
          stream.destroy();
        };
        stream.on('response', (res: { statusCode: number }) => {
          status = res.statusCode;
        });
        stream.on('data', (chunk: Buffer) => {
          received += chunk.length;
          // We only need the status; past the limit the rest is not worth our time or memory.
          if (received > settings.bodyLimitBytes && status !== undefined) settle(outcomeOf(status));
        });
        stream.on('end', () => settle(status === undefined ? { ok: false, error: 'no response' } : outcomeOf(status)));
        stream.on('error', (err: Error) => settle(failureOf(err, status)));
      });
    },
    close: () => agent.destroy(),
  };
}

function outcomeOf(status: number): AttemptOutcome {
  if (status >= 200 && status < 300) return { ok: true, status };
  const kind = status >= 300 && status < 400 ? ' (redirects are not followed)' : '';
  return { ok: false, status, error: `HTTP ${status}${kind}` };
}

function failureOf(err: Error, status: number | undefined): AttemptOutcome {
  const code = err instanceof RequestError ? err.code : (err as NodeJS.ErrnoException).code;
  const cause = (err as { cause?: unknown }).cause;
  const message = code === 'ETIMEDOUT' ? `no complete response within the deadline (${err.message})` : err.message;
  return { ok: false, ...(status !== undefined ? { status } : {}), error: message, ...(code ? { code } : {}), cause: cause ?? err };
}

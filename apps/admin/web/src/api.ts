/** The admin API (CONTRACT section 3) as the page uses it: every call carries the bearer token. */

// The shape the API answers with, declared once in core (a type only: nothing of core is bundled).
import type { Delivery, DeliveryStats, DeliveryStatus, Webhook } from '@outboundiq/core';

export type { Delivery, DeliveryStats, DeliveryStatus, Webhook };

export interface WebhookInput {
  name: string;
  url: string;
  headers: Record<string, string>;
}

export type TestDialResult = { enqueued: true } | { enqueued: false; reason: string };

export interface FieldIssue {
  field: string;
  message: string;
}

/** An answer other than success: the API's error body, or a network failure (status 0). */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: FieldIssue[] = [],
  ) {
    super(message);
    this.name = 'ApiFailure';
  }
}

/**
 * The token was not accepted: 401, or 429 (too many failed sign-ins from this address). The API
 * never answers 429 to a valid token, so a 429 means this token was refused too.
 */
export function tokenRefused(err: unknown): err is ApiFailure {
  return err instanceof ApiFailure && (err.status === 401 || err.status === 429);
}

export type Api = ReturnType<typeof createApi>;

export function createApi(company: string, token: string) {
  const base = `/v1/companies/${encodeURIComponent(company)}/webhooks`;
  const one = (id: string) => `/${encodeURIComponent(id)}`;

  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(base + path, {
        method,
        cache: 'no-store',
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch {
      throw new ApiFailure(0, 'network', 'Could not reach the admin API. Check your connection and try again.');
    }
    if (res.status === 204) return undefined as T;
    const data = (await res.json().catch(() => null)) as { error?: { code?: string; message?: string; details?: FieldIssue[] } } | null;
    if (!res.ok) {
      const error = data?.error;
      throw new ApiFailure(res.status, error?.code ?? `http_${res.status}`, error?.message ?? `The admin API answered ${res.status}.`, error?.details ?? []);
    }
    return data as T;
  }

  return {
    list: async () => (await call<{ webhooks: Webhook[] }>('GET', '')).webhooks,
    create: (input: WebhookInput) => call<Webhook & { signingSecret: string }>('POST', '', input),
    setEnabled: (id: string, enabled: boolean) => call<Webhook>('PATCH', one(id), { enabled }),
    /** The whole set; a value sent back as the masked form it was shown keeps the stored one. */
    setHeaders: (id: string, headers: Record<string, string>) => call<Webhook>('PATCH', one(id), { headers }),
    rotateSecret: async (id: string) => (await call<{ signingSecret: string }>('POST', `${one(id)}/rotate-secret`)).signingSecret,
    remove: (id: string) => call<undefined>('DELETE', one(id)),
    sendTestDial: (id: string) => call<TestDialResult>('POST', `${one(id)}/test`),
    update: (id: string, change: Partial<WebhookInput>) => call<Webhook>('PATCH', one(id), change),
    // The delivery log (CONTRACT 3.1), shown by deliveries-panel.ts.
    deliveries: (id: string, query: { status?: DeliveryStatus; cursor?: string; limit?: number }) =>
      call<{ deliveries: Delivery[]; nextCursor: string | null }>('GET', `${one(id)}/deliveries?${new URLSearchParams(query as Record<string, string>)}`),
    delivery: (id: string, deliveryId: string) => call<Delivery>('GET', `${one(id)}/deliveries/${encodeURIComponent(deliveryId)}`),
    resend: (id: string, deliveryId: string) => call<{ deliveryId: string }>('POST', `${one(id)}/deliveries/${encodeURIComponent(deliveryId)}/resend`),
    resendFailed: (id: string, since: string) => call<{ queued: number }>('POST', `${one(id)}/resend-failed`, { since }),
    stats: (id: string) => call<DeliveryStats>('GET', `${one(id)}/stats`),
  };
}

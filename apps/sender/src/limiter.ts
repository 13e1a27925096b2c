/**
 * Caps the deliveries one webhook may have in flight in this process, so a slow or dead endpoint
 * can hold at most its share of the sender's slots and never starve the other webhooks.
 */
export interface WebhookLimiter {
  /** A release function, or null when the webhook is at its cap. */
  tryAcquire(webhookId: string): (() => void) | null;
  inFlight(webhookId: string): number;
}

export function createWebhookLimiter(perWebhook: number): WebhookLimiter {
  const counts = new Map<string, number>();
  return {
    tryAcquire(webhookId) {
      const current = counts.get(webhookId) ?? 0;
      if (current >= perWebhook) return null;
      counts.set(webhookId, current + 1);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        const left = (counts.get(webhookId) ?? 1) - 1;
        if (left <= 0) counts.delete(webhookId);
        else counts.set(webhookId, left);
      };
    },
    inFlight: (webhookId) => counts.get(webhookId) ?? 0,
  };
}

/**
 * Caps the deliveries one webhook may have in flight in this process, so a slow or dead endpoint
 * can hold at most its share of the sender's slots and never starve the other webhooks.
 */
export interface WebhookLimiter {
  /** A release function, or null when the webhook is at its cap. */
  tryAcquire(webhookId: string): (() => void) | null;
  /**
   * Like tryAcquire, but a webhook at its cap because it is busy, not slow, waits for the next of
   * its slots to free (first come first served), up to `maxWaitMs`. Busy, not slow: its oldest
   * delivery in flight started less than `slowMs` ago, checked on arrival and every `slowMs` while
   * waiting. A slow or dead endpoint's slots are old, so it gets null at once, as from tryAcquire.
   */
  acquire(webhookId: string, slowMs: number, maxWaitMs: number): Promise<(() => void) | null>;
  inFlight(webhookId: string): number;
}

type Grant = (release: () => void) => void;

interface WebhookSlots {
  /** Start times of the deliveries in flight. */
  started: Set<{ at: number }>;
  /** Waiting for a slot, first come first served; a freed slot passes straight to the first. */
  waiting: Grant[];
}

export function createWebhookLimiter(perWebhook: number, now: () => number = Date.now): WebhookLimiter {
  const webhooks = new Map<string, WebhookSlots>();

  const slotsOf = (webhookId: string): WebhookSlots => {
    let slots = webhooks.get(webhookId);
    if (!slots) webhooks.set(webhookId, (slots = { started: new Set(), waiting: [] }));
    return slots;
  };

  const take = (webhookId: string, slots: WebhookSlots): (() => void) => {
    const slot = { at: now() };
    slots.started.add(slot);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      slots.started.delete(slot);
      const next = slots.waiting.shift();
      if (next) next(take(webhookId, slots));
      else if (slots.started.size === 0) webhooks.delete(webhookId);
    };
  };

  const oldestStart = (slots: WebhookSlots): number => {
    let oldest = Infinity;
    for (const slot of slots.started) oldest = Math.min(oldest, slot.at);
    return oldest;
  };

  return {
    tryAcquire(webhookId) {
      const slots = slotsOf(webhookId);
      return slots.started.size < perWebhook ? take(webhookId, slots) : null;
    },
    acquire(webhookId, slowMs, maxWaitMs) {
      const slots = slotsOf(webhookId);
      if (slots.started.size < perWebhook) return Promise.resolve(take(webhookId, slots));
      const busyNotSlow = () => now() - oldestStart(slots) < slowMs;
      if (slowMs <= 0 || maxWaitMs <= 0 || !busyNotSlow()) return Promise.resolve(null);
      const giveUpAt = now() + maxWaitMs;
      return new Promise((resolve) => {
        let timer: NodeJS.Timeout;
        const grant: Grant = (release) => {
          clearTimeout(timer);
          resolve(release);
        };
        const check = () => {
          if (busyNotSlow() && now() < giveUpAt) {
            timer = setTimeout(check, Math.min(slowMs, Math.max(1, giveUpAt - now())));
            return;
          }
          slots.waiting.splice(slots.waiting.indexOf(grant), 1);
          resolve(null);
        };
        timer = setTimeout(check, Math.min(slowMs, maxWaitMs));
        slots.waiting.push(grant);
      });
    },
    inFlight: (webhookId) => webhooks.get(webhookId)?.started.size ?? 0,
  };
}

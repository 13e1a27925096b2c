import { randomBytes } from 'node:crypto';
import type { DialEvent } from '@outboundiq/core';
import { sampleDial } from '../dials.js';
import type { DialLedger, PublishedDial } from './ledger.js';

/** A dial of the fault suite: always a callId, which is what the ledger tracks. */
export type FaultDial = DialEvent & { callId: string };

/** The producer as the fault suite uses it (structural, so testkit needs no dependency on it). */
export interface DialPublisher {
  publish(dial: FaultDial): Promise<{ enqueued: boolean }>;
}

/** A valid dial with a callId no other run uses. */
export function faultDial(companySlug: string, callId: string, n = 0): FaultDial {
  return { ...sampleDial(companySlug, n, { callDirection: n % 5 === 0 ? 'inbound' : 'outbound', campaign: 'Fault drill' }), callId };
}

export interface LoadOptions {
  ledger: DialLedger;
  producer: DialPublisher;
  /** Companies taken in turn. */
  companies: readonly string[];
  perSecond: number;
  /** Publishes not yet settled at most; past it the load waits (a dead Redis must not pile up calls). */
  maxInFlight?: number;
}

export interface Load {
  /** Dials published so far (settled or not). */
  readonly started: number;
  /** Stops publishing and waits for every call in flight to settle. */
  stop(): Promise<void>;
}

/** Publishes `perSecond` dials a second, round robin over the companies, booking each in the ledger. */
export function startLoad(options: LoadOptions): Load {
  const run = randomBytes(4).toString('hex');
  const maxInFlight = options.maxInFlight ?? 500;
  const inFlight = new Set<Promise<PublishedDial>>();
  const began = Date.now();
  let started = 0;
  let stopped = false;
  const tick = () => {
    if (stopped) return;
    const due = Math.floor(((Date.now() - began) * options.perSecond) / 1_000) - started;
    for (let i = 0; i < due && inFlight.size < maxInFlight; i++) {
      const company = options.companies[started % options.companies.length]!;
      const n = started++;
      const dial = faultDial(company, `${run}-${n}`, n);
      const call = options.ledger.publish(dial, () => options.producer.publish(dial));
      inFlight.add(call);
      void call.finally(() => inFlight.delete(call));
    }
    timer = setTimeout(tick, 20);
  };
  let timer = setTimeout(tick, 0);
  return {
    get started() {
      return started;
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await Promise.allSettled([...inFlight]);
    },
  };
}

/** Publishes `count` dials of one company now, one call each, and waits for them. */
export async function publishDials(ledger: DialLedger, producer: DialPublisher, companySlug: string, count: number, tag = randomBytes(3).toString('hex')): Promise<PublishedDial[]> {
  return Promise.all(
    Array.from({ length: count }, (_, n) => {
      const dial = faultDial(companySlug, `${tag}-${companySlug}-${n}`, n);
      return ledger.publish(dial, () => producer.publish(dial));
    }),
  );
}

import type { ReceivedRequest } from '../receiver.js';

/**
 * The fault suite's book of account: every dial a publisher sent (unique callId) and every request
 * a receiver got, and the reconciliation of the two against the delivery guarantees:
 * - every dial whose publish resolved `enqueued` reached every enabled webhook of its company;
 * - at one webhook a dial only ever came in one delivery (the same deliveryId if sent again);
 * - no batch mixes companies, none holds more than 100 dials, none reaches another company's webhook.
 * Reads the receiver's recording only, never the apps' logs.
 */

export type PublishOutcome = 'pending' | 'enqueued' | 'skipped' | 'rejected';

export interface PublishedDial {
  callId: string;
  companySlug: string;
  /** When publish was called, and when it settled (ms). */
  startedAt: number;
  settledAt?: number;
  outcome: PublishOutcome;
  error?: string;
}

interface Hook {
  path: string;
  companySlug: string;
  enabled: boolean;
  /** False for a webhook whose deliveries may rightly fail (a receiver that never answers in time). */
  owed: boolean;
}

interface HookState {
  /** callId -> deliveryIds it arrived in. */
  deliveries: Map<string, Set<string>>;
  /** callId -> first receipt (ms). */
  firstSeen: Map<string, number>;
  /** deliveryId -> requests with it. */
  requestsById: Map<string, number>;
}

export interface Reconciliation {
  published: number;
  enqueued: number;
  rejected: number;
  /** Rejected publishes whose dial was delivered all the same (the outcome of a rejected call is unknown). */
  rejectedButDelivered: number;
  skipped: number;
  /** enqueued dials x enabled webhooks of their company. */
  expected: number;
  delivered: number;
  requests: number;
  /** Requests that repeated a (webhook, deliveryId) already received: retries and re-sends. */
  resent: number;
  missingCount: number;
  /** The first few of them, as `path callId`. */
  missing: string[];
  /** Dials that came to one webhook in more than one delivery. */
  duplicateCount: number;
  duplicates: string[];
  violationCount: number;
  violations: string[];
  ok: boolean;
}

const MAX_DIALS = 100;
const LIST_CAP = 20;

export class DialLedger {
  readonly dials = new Map<string, PublishedDial>();
  private readonly hooks = new Map<string, Hook>();
  private readonly state = new Map<string, HookState>();
  private readonly violations: string[] = [];
  private cursor = 0;
  private requestCount = 0;
  private resent = 0;

  /** A webhook the receiver serves at `path`; only enabled ones are owed deliveries. */
  addWebhook(path: string, companySlug: string, enabled = true): void {
    this.hooks.set(path, { path, companySlug, enabled, owed: true });
    this.state.set(path, { deliveries: new Map(), firstSeen: new Map(), requestsById: new Map() });
  }

  /**
   * A webhook whose receiver fails on purpose (hangs, trickles): its deliveries are not owed, since
   * the contract gives up after the retry, but everything it does get is still checked.
   */
  notOwed(path: string): void {
    const hook = this.hooks.get(path);
    if (hook) hook.owed = false;
  }

  /** The webhooks of a company that are owed its dials. */
  webhooksOf(companySlug: string): string[] {
    return [...this.hooks.values()].filter((h) => h.companySlug === companySlug && h.enabled && h.owed).map((h) => h.path);
  }

  /** Publishes through `publish` and books the outcome; never throws (a rejection is booked). */
  async publish(dial: { callId: string; companySlug: string }, publish: () => Promise<{ enqueued: boolean }>): Promise<PublishedDial> {
    if (this.dials.has(dial.callId)) throw new Error(`callId ${dial.callId} published twice by the test`);
    const entry: PublishedDial = { callId: dial.callId, companySlug: dial.companySlug, startedAt: Date.now(), outcome: 'pending' };
    this.dials.set(dial.callId, entry);
    try {
      const result = await publish();
      entry.outcome = result.enqueued ? 'enqueued' : 'skipped';
    } catch (err) {
      entry.outcome = 'rejected';
      entry.error = err instanceof Error ? err.message : String(err);
    }
    entry.settledAt = Date.now();
    return entry;
  }

  /** Reads the requests not seen yet (the receiver's list only grows). */
  ingest(requests: readonly ReceivedRequest[]): this {
    for (; this.cursor < requests.length; this.cursor++) this.ingestOne(requests[this.cursor]!);
    return this;
  }

  /** Enqueued dials not yet seen at one of their company's enabled webhooks, as `path callId`. */
  missing(limit = Infinity): string[] {
    const out: string[] = [];
    for (const dial of this.dials.values()) {
      if (dial.outcome !== 'enqueued') continue;
      for (const path of this.webhooksOf(dial.companySlug)) {
        if (!this.state.get(path)!.deliveries.has(dial.callId)) out.push(`${path} ${dial.callId}`);
        if (out.length >= limit) return out;
      }
    }
    return out;
  }

  allDelivered(): boolean {
    return this.missing(1).length === 0;
  }

  /** publish-call -> first receipt (ms) of each enqueued dial at each webhook it reached, filtered. */
  latencies(filter: (dial: PublishedDial, path: string) => boolean = () => true): number[] {
    const out: number[] = [];
    for (const [path, st] of this.state) {
      for (const [callId, at] of st.firstSeen) {
        const dial = this.dials.get(callId);
        if (dial && dial.outcome === 'enqueued' && filter(dial, path)) out.push(at - dial.startedAt);
      }
    }
    return out;
  }

  /** Requests seen for one (webhook, deliveryId). */
  requestsFor(path: string, deliveryId: string): number {
    return this.state.get(path)?.requestsById.get(deliveryId) ?? 0;
  }

  /** Deliveries a webhook got more than once (a retry or a re-send after a crash), as `path deliveryId xN`. */
  resentDeliveries(limit = LIST_CAP): string[] {
    const out: string[] = [];
    for (const [path, st] of this.state) {
      for (const [deliveryId, n] of st.requestsById) {
        if (n > 1 && out.length < limit) out.push(`${path} ${deliveryId} x${n}`);
      }
    }
    return out;
  }

  reconcile(requests?: readonly ReceivedRequest[]): Reconciliation {
    if (requests) this.ingest(requests);
    const counts = { enqueued: 0, rejected: 0, skipped: 0 };
    let expected = 0;
    for (const dial of this.dials.values()) {
      if (dial.outcome === 'enqueued') {
        counts.enqueued++;
        expected += this.webhooksOf(dial.companySlug).length;
      } else if (dial.outcome === 'rejected') counts.rejected++;
      else if (dial.outcome === 'skipped') counts.skipped++;
    }
    let rejectedButDelivered = 0;
    for (const dial of this.dials.values()) {
      if (dial.outcome === 'rejected' && [...this.state.values()].some((st) => st.deliveries.has(dial.callId))) rejectedButDelivered++;
    }
    const missing = this.missing();
    const duplicates: string[] = [];
    for (const [path, st] of this.state) {
      for (const [callId, ids] of st.deliveries) if (ids.size > 1) duplicates.push(`${path} ${callId} in ${[...ids].join(', ')}`);
    }
    return {
      published: this.dials.size,
      ...counts,
      rejectedButDelivered,
      expected,
      delivered: expected - missing.length,
      requests: this.requestCount,
      resent: this.resent,
      missingCount: missing.length,
      missing: missing.slice(0, LIST_CAP),
      duplicateCount: duplicates.length,
      duplicates: duplicates.slice(0, LIST_CAP),
      violationCount: this.violations.length,
      violations: this.violations.slice(0, LIST_CAP),
      ok: missing.length === 0 && duplicates.length === 0 && this.violations.length === 0,
    };
  }

  private ingestOne(request: ReceivedRequest): void {
    this.requestCount++;
    const hook = this.hooks.get(request.path);
    const where = `${request.path}`;
    if (!hook) return void this.violations.push(`${where}: request to a path no webhook has`);
    let body: { deliveryId?: unknown; dials?: unknown };
    try {
      body = JSON.parse(request.body.toString('utf8')) as typeof body;
    } catch {
      return void this.violations.push(`${where}: body is not JSON`);
    }
    const deliveryId = String(body.deliveryId);
    if (request.headers['x-outboundiq-delivery-id'] !== deliveryId) this.violations.push(`${where} ${deliveryId}: header and body deliveryId differ`);
    if (!Array.isArray(body.dials) || body.dials.length === 0) return void this.violations.push(`${where} ${deliveryId}: no dials array`);
    if (body.dials.length > MAX_DIALS) this.violations.push(`${where} ${deliveryId}: ${body.dials.length} dials in one batch`);
    const st = this.state.get(request.path)!;
    const seen = st.requestsById.get(deliveryId) ?? 0;
    st.requestsById.set(deliveryId, seen + 1);
    if (seen > 0) this.resent++;
    if (!hook.enabled) this.violations.push(`${where} ${deliveryId}: delivery to a disabled webhook`);
    const companies = new Set<string>();
    for (const dial of body.dials as { callId?: unknown; companySlug?: unknown }[]) {
      const company = String(dial.companySlug);
      const callId = String(dial.callId);
      companies.add(company);
      if (company !== hook.companySlug) this.violations.push(`${where} ${deliveryId}: dial ${callId} of ${company} reached a webhook of ${hook.companySlug}`);
      const published = this.dials.get(callId);
      if (published && published.companySlug !== company) this.violations.push(`${where} ${deliveryId}: dial ${callId} arrived as company ${company}`);
      const ids = st.deliveries.get(callId) ?? new Set<string>();
      ids.add(deliveryId);
      st.deliveries.set(callId, ids);
      if (!st.firstSeen.has(callId)) st.firstSeen.set(callId, request.receivedAt);
    }
    if (companies.size > 1) this.violations.push(`${where} ${deliveryId}: one batch mixes companies ${[...companies].join(', ')}`);
  }
}

/** One line per figure, for test output and the soak report. */
export function formatReconciliation(r: Reconciliation): string {
  const lines = [
    `published ${r.published} (enqueued ${r.enqueued}, rejected ${r.rejected} of which delivered all the same ${r.rejectedButDelivered}, skipped ${r.skipped})`,
    `deliveries owed ${r.expected}, delivered ${r.delivered}, requests ${r.requests} (of which re-sent with the same deliveryId ${r.resent})`,
    `missing ${r.missingCount}${r.missingCount ? `: ${r.missing.join('; ')}` : ''}`,
    `dials in more than one delivery ${r.duplicateCount}${r.duplicateCount ? `: ${r.duplicates.join('; ')}` : ''}`,
    `violations ${r.violationCount}${r.violationCount ? `: ${r.violations.join('; ')}` : ''}`,
    r.ok ? 'RECONCILED: every guarantee held' : 'NOT RECONCILED',
  ];
  return lines.join('\n');
}

/** The q-quantile (0..1) of `values`, nearest rank; NaN when empty. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

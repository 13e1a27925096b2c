import './deliveries.css';
import { ApiFailure, tokenRefused, type Api, type Delivery, type Webhook } from './api.js';
import { h, uid } from './dom.js';

const PAGE_SIZE = 20;
/** How long the panel watches a resent delivery for its new outcome. */
const WATCH_MS = 30_000;
const WATCH_EVERY_MS = 1_000;

const STATUS_LABELS: Record<Delivery['status'], string> = { delivered: 'Delivered', failed: 'Failed', refused: 'Refused', skipped: 'Skipped' };
const number = new Intl.NumberFormat('en-US');
const formatTime = (iso: string) => new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

/** What the last attempt answered, in a few words: its code, or why there was none. */
function codeOrReason(delivery: Delivery): string {
  const last = delivery.attempts.at(-1);
  if (last === undefined) return delivery.status === 'skipped' ? 'webhook disabled or deleted' : '—';
  return last.error ?? (last.statusCode === undefined ? '—' : `HTTP ${last.statusCode}`);
}

const duration = (delivery: Delivery) => {
  const last = delivery.attempts.at(-1);
  return last === undefined ? '—' : `${number.format(last.durationMs)} ms`;
};

/** `datetime-local` wants local time without a zone. */
function localInputValue(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/**
 * Under a webhook: its 24-hour counts, its recent deliveries (status, time, dials, code or reason,
 * duration), a "failed only" filter, each delivery's attempts on expanding it, Resend on a failed
 * one and "Resend all failed since...". Errors of the API are said in the panel's own status line.
 */
export function deliveriesPanel(api: Api, webhook: Webhook, onError: (err: unknown) => void): HTMLElement {
  const titleId = uid('deliveries');
  const stats = h('p', { class: 'deliveries__stats' }, 'Loading the last 24 hours…');
  const status = h('p', { class: 'deliveries__status', role: 'status', 'aria-live': 'polite' });
  const failedOnly = h('input', { type: 'checkbox', id: uid('failed-only') });
  const body = h('tbody');
  const empty = h('p', { class: 'deliveries__empty', hidden: true });
  const more = h('button', { type: 'button', class: 'button', hidden: true }, 'Show older deliveries');
  let cursor: string | null = null;

  const tell = (message: string) => (status.textContent = message);
  const fail = (err: unknown) => {
    if (tokenRefused(err) || (err instanceof ApiFailure && err.status === 404)) return onError(err);
    tell(err instanceof Error ? err.message : 'Something went wrong.');
  };

  async function loadStats(): Promise<void> {
    const { last24h } = await api.stats(webhook.id);
    const parts = [`${number.format(last24h.delivered)} delivered`, `${number.format(last24h.failed)} failed`];
    if (last24h.refused > 0) parts.push(`${number.format(last24h.refused)} refused`);
    if (last24h.skipped > 0) parts.push(`${number.format(last24h.skipped)} skipped`);
    stats.textContent = `${parts.join(', ')} in the last 24 hours`;
  }

  function rowsOf(delivery: Delivery): HTMLTableRowElement[] {
    const attemptsId = uid('attempts');
    const expand = h('button', { type: 'button', class: 'button button--quiet', 'aria-expanded': 'false', 'aria-controls': attemptsId }, `Attempts (${delivery.attempts.length})`);
    const resend = delivery.resendable ? h('button', { type: 'button', class: 'button' }, 'Resend') : null;
    const row = h(
      'tr',
      { 'data-delivery-id': delivery.deliveryId, 'data-status': delivery.status },
      h('td', {}, h('span', { class: `badge badge--${delivery.status}` }, STATUS_LABELS[delivery.status])),
      h('td', {}, h('time', { datetime: delivery.finishedAt }, formatTime(delivery.finishedAt))),
      h('td', { class: 'num' }, number.format(delivery.dialCount)),
      h('td', { class: 'deliveries__reason' }, codeOrReason(delivery)),
      h('td', { class: 'num' }, duration(delivery)),
      h('td', { class: 'deliveries__actions' }, expand, resend),
    );
    const detail = h(
      'tr',
      { id: attemptsId, class: 'deliveries__attempts', hidden: true },
      h(
        'td',
        { colspan: '6' },
        h('p', {}, 'Delivery ', h('code', {}, delivery.deliveryId), delivery.resentAt ? ` · resent ${formatTime(delivery.resentAt)}` : ''),
        delivery.attempts.length === 0
          ? h('p', {}, 'No attempt was made: the webhook was disabled or deleted when its turn came.')
          : h('ol', {}, ...delivery.attempts.map((a) => h('li', {}, h('time', { datetime: a.at }, formatTime(a.at)), ` · ${a.error ?? `HTTP ${a.statusCode}`} · ${number.format(a.durationMs)} ms`))),
      ),
    );
    expand.addEventListener('click', () => {
      const open = expand.getAttribute('aria-expanded') !== 'true';
      expand.setAttribute('aria-expanded', String(open));
      detail.hidden = !open;
    });
    resend?.addEventListener('click', () => void resendOne(delivery, resend, [row, detail]));
    return [row, detail];
  }

  async function resendOne(delivery: Delivery, button: HTMLButtonElement, rows: HTMLTableRowElement[]): Promise<void> {
    button.disabled = true;
    button.textContent = 'Resending…';
    try {
      await api.resend(webhook.id, delivery.deliveryId);
      tell(`Delivery ${delivery.deliveryId.slice(0, 8)} is being sent again, with the same delivery id.`);
      const settled = await watch(delivery);
      const fresh = rowsOf(settled);
      rows[0]!.replaceWith(fresh[0]!);
      rows[1]!.replaceWith(fresh[1]!);
      tell(settled.status === 'delivered' ? `Delivery ${delivery.deliveryId.slice(0, 8)} was resent and delivered.` : `Delivery ${delivery.deliveryId.slice(0, 8)} was resent: ${codeOrReason(settled)}.`);
      fresh[0]!.querySelector<HTMLButtonElement>('button')?.focus();
      void loadStats().catch(fail);
    } catch (err) {
      button.disabled = false;
      button.textContent = 'Resend';
      fail(err);
    }
  }

  /** The delivery once its resend has an outcome (more attempts than before), or as it is after a while. */
  async function watch(before: Delivery): Promise<Delivery> {
    const deadline = Date.now() + WATCH_MS;
    let latest = before;
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, WATCH_EVERY_MS));
      latest = await api.delivery(webhook.id, before.deliveryId);
      if (latest.finishedAt !== before.finishedAt) return latest;
    }
    return latest;
  }

  async function load(reset: boolean): Promise<void> {
    if (reset) cursor = null;
    const page = await api.deliveries(webhook.id, { limit: PAGE_SIZE, ...(failedOnly.checked ? { status: 'failed' as const } : {}), ...(cursor ? { cursor } : {}) });
    const rows = page.deliveries.flatMap(rowsOf);
    if (reset) body.replaceChildren(...rows);
    else body.append(...rows);
    cursor = page.nextCursor;
    more.hidden = cursor === null;
    empty.hidden = body.childElementCount > 0;
    empty.textContent = failedOnly.checked ? 'No failed delivery is kept for this webhook.' : 'No delivery yet in the last 7 days.';
  }

  const refresh = () => Promise.all([load(true), loadStats()]).catch(fail);
  failedOnly.addEventListener('change', () => void load(true).catch(fail));
  more.addEventListener('click', () => void load(false).catch(fail));

  // "Resend all failed since...": its API error (`since`) sits beside the field.
  const sinceId = uid('since');
  const since = h('input', { id: sinceId, type: 'datetime-local', class: 'input', 'aria-describedby': `${sinceId}-error`, value: localInputValue(new Date(Date.now() - 24 * 3_600_000)) });
  const sinceError = h('p', { id: `${sinceId}-error`, class: 'field__error' });
  const resendAll = h('button', { type: 'submit', class: 'button' }, 'Resend all failed');
  const bulk = h(
    'form',
    { class: 'deliveries__bulk', novalidate: true },
    h('div', { class: 'field' }, h('label', { for: sinceId, class: 'field__label' }, 'Resend all failed since'), since, sinceError),
    resendAll,
  );
  bulk.addEventListener('submit', (event) => {
    event.preventDefault();
    sinceError.textContent = '';
    since.removeAttribute('aria-invalid');
    const when = new Date(since.value);
    const iso = Number.isNaN(when.getTime()) ? since.value : when.toISOString();
    resendAll.disabled = true;
    api
      .resendFailed(webhook.id, iso)
      .then(({ queued }) => {
        tell(queued === 0 ? 'No failed delivery since then is kept: nothing to resend.' : `${number.format(queued)} failed ${queued === 1 ? 'delivery is' : 'deliveries are'} being sent again.`);
        if (queued > 0) setTimeout(() => void refresh(), 3_000);
      })
      .catch((err: unknown) => {
        const issue = err instanceof ApiFailure ? err.details.find((d) => d.field === 'since') : undefined;
        if (issue === undefined) return fail(err);
        sinceError.textContent = issue.message;
        since.setAttribute('aria-invalid', 'true');
        since.focus();
      })
      .finally(() => (resendAll.disabled = false));
  });

  void refresh();
  const tableLabel = `Recent deliveries of ${webhook.name}`;
  return h(
    'section',
    { class: 'deliveries', 'aria-labelledby': titleId },
    h('h4', { id: titleId, class: 'deliveries__title' }, 'Recent deliveries'),
    stats,
    h(
      'div',
      { class: 'deliveries__tools' },
      h('label', { class: 'deliveries__filter' }, failedOnly, ' Failed only'),
      h('button', { type: 'button', class: 'button button--quiet', onClick: () => void refresh() }, 'Refresh'),
    ),
    status,
    h(
      'div',
      { class: 'deliveries__scroll', role: 'region', 'aria-label': tableLabel, tabindex: '0' },
      h(
        'table',
        { class: 'deliveries__table' },
        h('caption', { class: 'visually-hidden' }, tableLabel),
        h('thead', {}, h('tr', {}, ...['Status', 'Time', 'Dials', 'Code or reason', 'Duration', 'Details'].map((c) => h('th', { scope: 'col' }, c)))),
        body,
      ),
    ),
    empty,
    more,
    bulk,
  );
}

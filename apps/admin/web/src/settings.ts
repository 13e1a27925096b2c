import { MAX_WEBHOOKS_PER_COMPANY } from '@outboundiq/core/limits';
import { ApiFailure, createApi, tokenRefused, type Webhook } from './api.js';
import { createWebhookForm } from './create-form.js';
import { deliveriesPanel } from './deliveries-panel.js';
import { confirmDialog, secretDialog } from './dialogs.js';
import { headerValuesDialog } from './header-dialog.js';
import { h, uid } from './dom.js';
import { editForm } from './edit-form.js';
import type { Session } from './session.js';
import { verifyPanel } from './verify-panel.js';
import { setSwitch, webhookCard, type CardActions } from './webhook-card.js';

/** The signed-in page: the list, "Add a webhook" and "Verify the signature". */
export function settingsView(session: Session, onSignOut: (notice?: string) => void, initial?: Webhook[]): HTMLElement {
  const api = createApi(session.company, session.token);
  let webhooks: Webhook[] = initial ?? [];

  const status = h('p', { class: 'status', role: 'status', 'aria-live': 'polite' });
  const alert = h('div', { class: 'alert', role: 'alert' });
  const say = (message: string) => {
    alert.textContent = '';
    status.textContent = message;
  };
  const complain = (err: unknown) => {
    if (tokenRefused(err)) {
      return onSignOut(session.kind === 'portal' ? 'Your session has expired.' : 'Your admin token is no longer accepted: sign in again.');
    }
    status.textContent = '';
    alert.textContent = err instanceof Error ? err.message : 'Something went wrong.';
    if (err instanceof ApiFailure && err.status === 404) void reload();
  };

  const listTitleId = uid('list');
  const listTitle = h('h2', { id: listTitleId, tabindex: '-1' }, 'Your webhooks');
  const list = h('ul', { class: 'cards', 'aria-labelledby': listTitleId });
  const count = h('p', { class: 'count' });
  const form = createWebhookForm(async (input) => {
    const created = await api.create(input);
    webhooks = [...webhooks, created];
    render();
    say(`Webhook “${created.name}” created.`);
    // Not awaited: the form is done. Focus then goes to the new webhook (Create may be disabled by now).
    const title = list.querySelector<HTMLElement>(`[data-webhook-id="${CSS.escape(created.id)}"] h3`) ?? listTitle;
    void secretDialog({ title: `Webhook “${created.name}” created`, webhookName: created.name, secret: created.signingSecret, returnFocus: title });
  });

  const actions: CardActions = {
    toggle(webhook, button) {
      button.disabled = true;
      api
        .setEnabled(webhook.id, !webhook.enabled)
        .then((updated) => {
          Object.assign(webhook, updated);
          setSwitch(button, updated.enabled);
          say(updated.enabled ? `“${updated.name}” is enabled: it receives every dial from now on.` : `“${updated.name}” is disabled: it receives nothing until you enable it again.`);
        })
        .catch(complain)
        .finally(() => (button.disabled = false));
    },
    sendTest(webhook, button) {
      button.disabled = true;
      api
        .sendTestDial(webhook.id)
        .then((result) => {
          if (result.enqueued) say(`A test dial is on its way: it goes to every enabled webhook of ${session.company}, “${webhook.name}” included. Watch your endpoint.`);
          else if (result.reason === 'webhook-disabled') say(`“${webhook.name}” is disabled, so no test dial was sent. Enable it first.`);
          else say(`No webhook of ${session.company} is enabled, so no test dial was sent.`);
        })
        .catch(complain)
        .finally(() => (button.disabled = false));
    },
    async replaceHeaderValues(webhook) {
      const updated = await headerValuesDialog(webhook, (headers) => api.setHeaders(webhook.id, headers)).catch((err: unknown) => {
        complain(err);
        return null;
      });
      if (updated === null) return;
      Object.assign(webhook, updated);
      render();
      say(`The header values of “${updated.name}” were saved.`);
    },
    async rotate(webhook) {
      const sure = await confirmDialog({
        title: `Rotate the signing secret of “${webhook.name}”?`,
        message: ['A new secret is generated and the old one stops working at once: every delivery from now on is signed with the new one.', 'Update your receiver with the new secret right away, or it will reject deliveries.'],
        confirmLabel: 'Rotate secret',
        tone: 'danger',
      });
      if (!sure) return;
      try {
        const secret = await api.rotateSecret(webhook.id);
        say(`The signing secret of “${webhook.name}” was rotated.`);
        await secretDialog({ title: `New signing secret for “${webhook.name}”`, webhookName: webhook.name, secret });
      } catch (err) {
        complain(err);
      }
    },
    edit(webhook, button) {
      const facts = button.closest('.card')?.querySelector<HTMLElement>('.card__facts');
      if (!facts) return;
      const form = editForm(webhook, (change) => api.update(webhook.id, change), (updated) => {
        form.replaceWith(facts);
        button.hidden = false;
        if (updated === null) return button.focus();
        Object.assign(webhook, updated);
        render();
        list.querySelector<HTMLElement>(`[data-webhook-id="${CSS.escape(webhook.id)}"] h3`)?.focus();
        say(`Webhook “${updated.name}” saved.`);
      });
      facts.replaceWith(form);
      button.hidden = true;
      form.querySelector<HTMLInputElement>('input')?.focus();
    },
    async remove(webhook) {
      const sure = await confirmDialog({
        title: `Delete “${webhook.name}”?`,
        message: [`It gets nothing more from the moment you confirm, not even dials already waiting to be sent, and its signing secret is deleted.`, 'This cannot be undone.'],
        confirmLabel: 'Delete webhook',
        tone: 'danger',
      });
      if (!sure) return;
      try {
        await api.remove(webhook.id);
        webhooks = webhooks.filter((w) => w.id !== webhook.id);
        render();
        listTitle.focus();
        say(`Webhook “${webhook.name}” deleted.`);
      } catch (err) {
        complain(err);
      }
    },
  };

  function render(): void {
    list.replaceChildren(...webhooks.map((w) => webhookCard(w, actions, [deliveriesPanel(api, w, complain)])));
    count.textContent = webhooks.length === 0 ? 'No webhooks yet: add one below.' : `${webhooks.length} of ${MAX_WEBHOOKS_PER_COMPANY} webhooks.`;
    form.setCount(webhooks.length);
  }

  async function reload(): Promise<void> {
    try {
      webhooks = await api.list();
      render();
    } catch (err) {
      complain(err);
    }
  }

  if (initial) render();
  else void reload();

  const titleId = uid('title');
  const formTitleId = uid('create');
  return h(
    'main',
    { class: 'page', 'aria-labelledby': titleId },
    h('p', { class: 'breadcrumb' }, 'Settings › Webhooks'),
    h(
      'header',
      { class: 'page__head' },
      h('h1', { id: titleId, tabindex: '-1' }, 'Webhooks'),
      h('p', { class: 'page__company' }, 'Company ', h('strong', {}, session.company), ' ', h('button', { type: 'button', class: 'button button--quiet', onClick: () => onSignOut() }, 'Sign out')),
    ),
    h('p', { class: 'lede' }, `outboundIQ POSTs every dial it finishes cleaning, batched and signed, to up to ${MAX_WEBHOOKS_PER_COMPANY} HTTPS URLs of yours. Disabled webhooks receive nothing.`),
    status,
    alert,
    h('section', { class: 'panel', 'aria-labelledby': listTitleId }, listTitle, count, list),
    h('section', { class: 'panel', 'aria-labelledby': formTitleId }, h('h2', { id: formTitleId }, 'Add a webhook'), form.element),
    verifyPanel(),
  );
}

import type { Webhook } from './api.js';
import { h, uid } from './dom.js';

export interface CardActions {
  toggle(webhook: Webhook, button: HTMLButtonElement): void;
  sendTest(webhook: Webhook, button: HTMLButtonElement): void;
  rotate(webhook: Webhook, button: HTMLButtonElement): void;
  remove(webhook: Webhook, button: HTMLButtonElement): void;
  replaceHeaderValues(webhook: Webhook, button: HTMLButtonElement): void;
  /** Edit name, URL and headers in place (edit-form.ts). */
  edit?(webhook: Webhook, button: HTMLButtonElement): void;
}

const formatTime = (iso: string) => new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** Sets the switch's state; its name stays "Enabled" so a screen reader reads "Enabled, switch, on/off". */
export function setSwitch(button: HTMLButtonElement, enabled: boolean): void {
  button.setAttribute('aria-checked', String(enabled));
  button.querySelector('.switch__state')!.textContent = enabled ? 'On' : 'Off';
}

/** One webhook of the list: what it is, its switch and its actions. */
export function webhookCard(webhook: Webhook, actions: CardActions, extras: Node[] = []): HTMLElement {
  const titleId = uid('webhook');
  const headerNames = Object.keys(webhook.headers);
  const enabledSwitch = h(
    'button',
    { type: 'button', role: 'switch', class: 'switch', 'aria-checked': String(webhook.enabled), 'aria-describedby': titleId },
    h('span', { class: 'switch__label' }, 'Enabled'),
    h('span', { class: 'switch__track', 'aria-hidden': 'true' }),
    h('span', { class: 'switch__state', 'aria-hidden': 'true' }, webhook.enabled ? 'On' : 'Off'),
  );
  enabledSwitch.addEventListener('click', () => actions.toggle(webhook, enabledSwitch));
  const button = (label: string, action: keyof Omit<CardActions, 'toggle' | 'edit'>, tone = '') => {
    const el = h('button', { type: 'button', class: `button ${tone}`, 'aria-describedby': titleId }, label);
    el.addEventListener('click', () => actions[action](webhook, el));
    return el;
  };

  return h(
    'li',
    { class: 'card', 'data-webhook-id': webhook.id },
    h('div', { class: 'card__head' }, h('h3', { id: titleId, class: 'card__title', tabindex: '-1' }, webhook.name), enabledSwitch),
    h(
      'dl',
      { class: 'card__facts' },
      h('dt', {}, 'URL'),
      h('dd', { class: 'card__url' }, webhook.url),
      h('dt', {}, 'Custom headers'),
      h(
        'dd',
        {},
        headerNames.length === 0
          ? 'None'
          : h('ul', { class: 'card__headers' }, ...headerNames.map((name) => h('li', {}, h('code', {}, `${name}: ${webhook.headers[name]}`)))),
      ),
      h('dt', {}, 'Created'),
      h('dd', {}, h('time', { datetime: webhook.createdAt }, formatTime(webhook.createdAt))),
    ),
    h(
      'div',
      { class: 'card__actions' },
      editButton(webhook, actions, titleId),
      button('Send a test dial', 'sendTest'),
      headerNames.length > 0 && button('Replace header values', 'replaceHeaderValues'),
      button('Rotate signing secret', 'rotate'),
      button('Delete', 'remove', 'button--danger'),
    ),
    ...extras,
  );
}

function editButton(webhook: Webhook, actions: CardActions, titleId: string): HTMLButtonElement | null {
  if (actions.edit === undefined) return null;
  const el = h('button', { type: 'button', class: 'button', 'aria-describedby': titleId }, 'Edit');
  el.addEventListener('click', () => actions.edit?.(webhook, el));
  return el;
}

import { focusables, h, uid } from './dom.js';

/**
 * Modal dialogs: role="dialog" + aria-modal, everything else `inert` while one is open (so Tab,
 * screen readers and clicks stay inside), Tab wrapping at the edges, focus given back on close.
 * Escape calls the dialog's own `onEscape`: a plain question is cancelled, the secret dialog asks first.
 */
interface Modal {
  root: HTMLElement;
  returnFocus: Element | null;
}

const stack: Modal[] = [];

function updateInert(): void {
  const top = stack.at(-1)?.root;
  for (const child of document.body.children) {
    if (child instanceof HTMLElement) child.inert = top !== undefined && child !== top;
  }
}

interface OpenOptions {
  title: string;
  body: Node[];
  actions: HTMLButtonElement[];
  onEscape: () => void;
  /** What gets focus first; the first action by default. */
  initialFocus?: HTMLElement;
  tone?: 'danger';
  /** Where focus goes on close; what had it on open by default. */
  returnFocus?: HTMLElement;
}

export function openModal(options: OpenOptions): { close(): void } {
  const titleId = uid('dialog-title');
  const panel = h(
    'div',
    { role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': titleId, class: `dialog${options.tone ? ` dialog--${options.tone}` : ''}` },
    h('h2', { id: titleId, class: 'dialog__title' }, options.title),
    ...options.body,
    h('div', { class: 'dialog__actions' }, ...options.actions),
  );
  const root = h('div', { class: 'backdrop' }, panel);
  root.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') {
      event.preventDefault();
      event.stopPropagation();
      options.onEscape();
    } else if (event.key === 'Tab') {
      const items = focusables(panel);
      const first = items[0];
      const last = items.at(-1);
      if (!first || !last) return;
      if (event.shiftKey && (document.activeElement === first || !panel.contains(document.activeElement))) {
        event.preventDefault();
        last.focus();
      } else if (!event.shiftKey && document.activeElement === last) {
        event.preventDefault();
        first.focus();
      }
    }
  });
  const modal: Modal = { root, returnFocus: options.returnFocus ?? document.activeElement };
  stack.push(modal);
  document.body.append(root);
  updateInert();
  (options.initialFocus ?? options.actions[0] ?? panel).focus();
  return {
    close() {
      const at = stack.indexOf(modal);
      if (at === -1) return;
      stack.splice(at, 1);
      root.remove();
      updateInert();
      if (modal.returnFocus instanceof HTMLElement && modal.returnFocus.isConnected) modal.returnFocus.focus();
    },
  };
}

export interface ConfirmOptions {
  title: string;
  message: string[];
  confirmLabel: string;
  cancelLabel?: string;
  tone?: 'danger';
}

/** Asks a yes/no question; resolves true only on the confirm button. Escape and Cancel say no. */
export function confirmDialog(options: ConfirmOptions): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (answer: boolean) => {
      modal.close();
      resolve(answer);
    };
    const cancel = h('button', { type: 'button', class: 'button', onClick: () => done(false) }, options.cancelLabel ?? 'Cancel');
    const confirm = h('button', { type: 'button', class: `button ${options.tone === 'danger' ? 'button--danger' : 'button--primary'}`, onClick: () => done(true) }, options.confirmLabel);
    const modal = openModal({
      title: options.title,
      body: options.message.map((text) => h('p', {}, text)),
      actions: [cancel, confirm],
      onEscape: () => done(false),
      initialFocus: cancel,
      ...(options.tone ? { tone: options.tone } : {}),
    });
  });
}

/**
 * Shows a signing secret, the one time it can be seen, with a copy button. Closing it (button or
 * Escape) asks for confirmation first; resolves once it is closed.
 */
export function secretDialog(options: { title: string; webhookName: string; secret: string; returnFocus?: HTMLElement }): Promise<void> {
  return new Promise((resolve) => {
    const inputId = uid('secret');
    const field = h('input', { id: inputId, class: 'secret__value', type: 'text', readonly: true, spellcheck: 'false', autocomplete: 'off', value: options.secret });
    const copyStatus = h('p', { class: 'secret__status', role: 'status', 'aria-live': 'polite' });
    const copy = h('button', { type: 'button', class: 'button button--primary', onClick: () => void copySecret(field, copyStatus) }, 'Copy secret');
    const close = h('button', { type: 'button', class: 'button', onClick: () => void askToClose() }, 'I have saved it');

    let asking = false;
    async function askToClose() {
      if (asking) return;
      asking = true;
      const sure = await confirmDialog({
        title: 'Close the signing secret?',
        message: ['You will not be able to see this signing secret again. If you have not saved it, go back and copy it now.'],
        confirmLabel: 'Close it',
        cancelLabel: 'Go back',
      });
      asking = false;
      if (!sure) return;
      modal.close();
      resolve();
    }

    const modal = openModal({
      title: options.title,
      body: [
        h('p', { class: 'secret__warning' }, h('strong', {}, 'This secret will never be shown again.'), ` Store it somewhere safe now: outboundIQ signs every delivery to “${options.webhookName}” with it, and you need it to verify the X-OutboundIQ-Signature header.`),
        h('label', { for: inputId, class: 'field__label' }, 'Signing secret'),
        h('div', { class: 'secret' }, field, copy),
        copyStatus,
      ],
      actions: [close],
      onEscape: () => void askToClose(),
      initialFocus: copy,
      ...(options.returnFocus ? { returnFocus: options.returnFocus } : {}),
    });
  });
}

async function copySecret(field: HTMLInputElement, status: HTMLElement): Promise<void> {
  try {
    await navigator.clipboard.writeText(field.value);
    status.textContent = 'Copied to the clipboard.';
    return;
  } catch {
    // No clipboard API (plain http, an older browser, permission refused): the old way.
  }
  field.focus();
  field.select();
  const copied = document.execCommand('copy');
  status.textContent = copied ? 'Copied to the clipboard.' : 'Could not copy: the secret is selected, press Ctrl+C (or ⌘C) to copy it.';
}

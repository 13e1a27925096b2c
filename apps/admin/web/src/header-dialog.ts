import { ApiFailure, tokenRefused, type Webhook } from './api.js';
import { openModal } from './dialogs.js';
import { h, uid } from './dom.js';

/**
 * "Replace header values": the stored values are never shown (answers mask them, CONTRACT section
 * 3), so each header gets an empty field for a new value; an empty one sends back the masked form,
 * which keeps the stored value. Resolves with the saved webhook, or null when cancelled.
 */
export function headerValuesDialog(webhook: Webhook, save: (headers: Record<string, string>) => Promise<Webhook>): Promise<Webhook | null> {
  return new Promise((resolve, reject) => {
    const names = Object.keys(webhook.headers);
    const fields = names.map((name) => {
      const id = uid('header-value');
      const input = h('input', { id, class: 'input', name: `new-value-${name}`, autocomplete: 'off', spellcheck: 'false', 'aria-describedby': `${id}-hint ${id}-error` });
      const error = h('p', { id: `${id}-error`, class: 'field__error' });
      const element = h(
        'div',
        { class: 'field' },
        h('label', { for: id, class: 'field__label' }, `New value for ${name}`),
        h('p', { id: `${id}-hint`, class: 'field__hint' }, `Now: ${webhook.headers[name]}. Leave it empty to keep it.`),
        input,
        error,
      );
      return { name, input, error, element };
    });
    const formError = h('div', { class: 'form__error', role: 'alert' });
    const done = (result: Webhook | null) => {
      modal.close();
      resolve(result);
    };
    const cancel = h('button', { type: 'button', class: 'button', onClick: () => done(null) }, 'Cancel');
    const submit = h('button', { type: 'button', class: 'button button--primary' }, 'Save header values');
    submit.addEventListener('click', () => {
      for (const f of fields) {
        f.error.textContent = '';
        f.input.removeAttribute('aria-invalid');
      }
      formError.textContent = '';
      const headers = Object.fromEntries(fields.map((f) => [f.name, f.input.value === '' ? webhook.headers[f.name]! : f.input.value]));
      submit.disabled = true;
      save(headers)
        .then(done)
        .catch((err: unknown) => {
          // Signed out meanwhile (the session expired): the page says so, not this dialog.
          if (tokenRefused(err)) {
            modal.close();
            reject(err);
            return;
          }
          const issues = err instanceof ApiFailure ? err.details : [];
          for (const issue of issues) {
            const field = fields.find((f) => issue.field === `headers.${f.name}`);
            if (field === undefined) continue;
            field.error.textContent = issue.message;
            field.input.setAttribute('aria-invalid', 'true');
          }
          const first = fields.find((f) => f.input.getAttribute('aria-invalid') === 'true');
          if (first) first.input.focus();
          else formError.textContent = err instanceof Error ? err.message : 'Could not save the header values.';
        })
        .finally(() => (submit.disabled = false));
    });
    const modal = openModal({
      title: `Replace header values of “${webhook.name}”`,
      body: [h('p', {}, 'Stored values are never shown again, only their last 4 characters. Type a new value to replace one.'), ...fields.map((f) => f.element), formError],
      actions: [cancel, submit],
      onEscape: () => done(null),
      ...(fields[0] ? { initialFocus: fields[0].input } : {}),
    });
  });
}

import { ApiFailure, type FieldIssue, type Webhook, type WebhookInput } from './api.js';
import { field, headerRows, placeIssues, showError } from './create-form.js';
import { h, uid } from './dom.js';

/**
 * "Edit" in place: the webhook's name, URL and headers in a form where its facts were. Headers are
 * shown as the API answers them; a value left as shown keeps what is stored. The API's 400 details
 * land beside the field they name (`name`, `url`, `headers`, `headers.<Name>`).
 */
export function editForm(webhook: Webhook, save: (change: Partial<WebhookInput>) => Promise<Webhook>, done: (updated: Webhook | null) => void): HTMLFormElement {
  const name = field('Name', { name: 'name', required: true, maxlength: '100', autocomplete: 'off', value: webhook.name });
  const url = field('Destination URL', { name: 'url', type: 'url', required: true, inputmode: 'url', autocomplete: 'off', value: webhook.url }, 'HTTPS only.');
  const headersError = h('p', { class: 'field__error', id: uid('headers-error') });
  const formError = h('div', { class: 'form__error', role: 'alert' });
  const saveButton = h('button', { type: 'submit', class: 'button button--primary' }, 'Save changes');
  const cancel = h('button', { type: 'button', class: 'button', onClick: () => done(null) }, 'Cancel');

  const { rows, list: rowList, add: addRow, addButton: addHeader } = headerRows('edit-header', headersError);
  for (const [headerName, value] of Object.entries(webhook.headers)) addRow(headerName, value);

  const formTitleId = uid('edit');
  const form = h(
    'form',
    { class: 'form card__edit', novalidate: true, 'aria-labelledby': formTitleId },
    h('h4', { id: formTitleId }, `Edit “${webhook.name}”`),
    name.element,
    url.element,
    h('fieldset', { class: 'fieldset' }, h('legend', {}, 'Custom headers'), rowList, headersError, addHeader),
    formError,
    h('div', { class: 'form__actions' }, saveButton, cancel),
  );

  function showIssues(issues: FieldIssue[]): void {
    const rest = placeIssues(issues, { name, url, headersError, rows }).map((issue) => `${issue.field}: ${issue.message}`);
    if (rest.length > 0) formError.append(h('p', {}, 'Nothing was changed:'), h('ul', {}, ...rest.map((m) => h('li', {}, m))));
    form.querySelector<HTMLInputElement>('[aria-invalid="true"]')?.focus();
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
    for (const el of form.querySelectorAll('.field__error')) el.textContent = '';
    formError.replaceChildren();
    const headers: Record<string, string> = {};
    for (const row of rows) {
      const key = row.name.value.trim();
      if (key === '' && row.value.value === '') continue;
      if (Object.hasOwn(headers, key)) return showError(row.name, row.error, 'header name is given twice');
      headers[key] = row.value.value;
    }
    const change: Partial<WebhookInput> = { name: name.input.value.trim(), url: url.input.value.trim() };
    // Headers are replaced as a whole: sent only when they changed.
    if (JSON.stringify(headers) !== JSON.stringify(webhook.headers)) change.headers = headers;
    saveButton.disabled = true;
    saveButton.textContent = 'Saving…';
    save(change)
      .then((updated) => done(updated))
      .catch((err: unknown) => {
        if (err instanceof ApiFailure && err.details.length > 0) showIssues(err.details);
        else formError.append(h('p', {}, err instanceof Error ? err.message : 'Nothing was changed.'));
      })
      .finally(() => {
        saveButton.disabled = false;
        saveButton.textContent = 'Save changes';
      });
  });
  return form;
}

import { MAX_WEBHOOKS_PER_COMPANY } from '@outboundiq/core/limits';
import { ApiFailure, type FieldIssue, type WebhookInput } from './api.js';
import { h, uid } from './dom.js';

export interface HeaderRow {
  element: HTMLElement;
  name: HTMLInputElement;
  value: HTMLInputElement;
  error: HTMLElement;
}

/** A labelled input with its error line, wired with aria-describedby / aria-invalid. */
export function field(label: string, attrs: Record<string, string | boolean>, hint?: string) {
  const id = uid('field');
  const errorId = `${id}-error`;
  const hintId = hint ? `${id}-hint` : undefined;
  const input = h('input', { id, class: 'input', 'aria-describedby': [hintId, errorId].filter(Boolean).join(' '), ...attrs });
  const error = h('p', { id: errorId, class: 'field__error' });
  const element = h('div', { class: 'field' }, h('label', { for: id, class: 'field__label' }, label), hint ? h('p', { id: hintId, class: 'field__hint' }, hint) : null, input, error);
  return { element, input, error };
}

export function showError(input: HTMLInputElement | null, error: HTMLElement, message: string): void {
  error.textContent = message;
  input?.setAttribute('aria-invalid', 'true');
}

/**
 * Puts each of the API's 400 details beside the field it names (`name`, `url`, `headers`,
 * `headers.<Name>` on that header's row); returns those with no such field in the form.
 */
export function placeIssues(
  issues: readonly FieldIssue[],
  form: { name: { input: HTMLInputElement; error: HTMLElement }; url: { input: HTMLInputElement; error: HTMLElement }; headersError: HTMLElement; rows: readonly HeaderRow[] },
): FieldIssue[] {
  const unplaced: FieldIssue[] = [];
  for (const issue of issues) {
    if (issue.field === 'name') showError(form.name.input, form.name.error, issue.message);
    else if (issue.field === 'url') showError(form.url.input, form.url.error, issue.message);
    else if (issue.field === 'headers') showError(null, form.headersError, issue.message);
    else if (issue.field.startsWith('headers.')) {
      const row = form.rows.find((r) => r.name.value.trim() === issue.field.slice('headers.'.length));
      if (row) showError(row.name, row.error, issue.message);
      else unplaced.push(issue);
    } else unplaced.push(issue);
  }
  return unplaced;
}

/**
 * Custom header rows (name, value, Remove) and their "Add header" button. Each name input is also
 * described by the headers' error line; `add` takes a row's first values (the edit form's).
 */
export function headerRows(namePrefix: string, headersError: HTMLElement, placeholder?: string) {
  const rows: HeaderRow[] = [];
  const list = h('div', { class: 'header-rows' });
  function add(headerName = '', headerValue = ''): HeaderRow {
    const n = rows.length + 1;
    const nameField = field('Header name', { name: `${namePrefix}-name-${n}`, autocomplete: 'off', spellcheck: 'false', value: headerName, ...(placeholder ? { placeholder } : {}) });
    const valueField = field('Value', { name: `${namePrefix}-value-${n}`, autocomplete: 'off', spellcheck: 'false', value: headerValue });
    const remove = h('button', { type: 'button', class: 'button button--quiet', 'aria-label': `Remove header ${n}` }, 'Remove');
    nameField.input.setAttribute('aria-describedby', `${nameField.input.getAttribute('aria-describedby')} ${headersError.id}`);
    const element = h('div', { role: 'group', 'aria-label': `Header ${n}`, class: 'header-row' }, nameField.element, valueField.element, remove);
    const row = { element, name: nameField.input, value: valueField.input, error: nameField.error };
    remove.addEventListener('click', () => {
      rows.splice(rows.indexOf(row), 1);
      element.remove();
      addButton.focus();
    });
    rows.push(row);
    list.append(element);
    return row;
  }
  const addButton = h('button', { type: 'button', class: 'button', onClick: () => add().name.focus() }, 'Add header');
  return { rows, list, add, addButton };
}

/**
 * "Add a webhook": name, HTTPS URL, custom header rows. The API validates; its 400 details land
 * beside the field they name (`name`, `url`, `headers`, `headers.<Header-Name>`).
 */
export function createWebhookForm(submit: (input: WebhookInput) => Promise<void>) {
  const name = field('Name', { name: 'name', required: true, maxlength: '100', autocomplete: 'off' }, 'For your own bookkeeping, e.g. “CRM”.');
  const url = field('Destination URL', { name: 'url', type: 'url', required: true, inputmode: 'url', placeholder: 'https://example.com/webhooks/outboundiq', autocomplete: 'off' }, 'HTTPS only.');
  const headersError = h('p', { class: 'field__error', id: uid('headers-error') });
  const { rows, list: rowList, addButton: addHeader } = headerRows('header', headersError, 'X-API-Key');
  const formError = h('div', { class: 'form__error', role: 'alert' });
  const limitId = uid('limit');
  const limit = h('p', { id: limitId, class: 'form__limit', hidden: true }, `This company has ${MAX_WEBHOOKS_PER_COMPANY} webhooks, the most allowed. Delete one to add another.`);
  const create = h('button', { type: 'submit', class: 'button button--primary' }, 'Create webhook');


  function clearErrors(): void {
    for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
    for (const el of form.querySelectorAll('.field__error')) el.textContent = '';
    formError.replaceChildren();
  }

  function showIssues(issues: FieldIssue[]): void {
    const rest = placeIssues(issues, { name, url, headersError, rows }).map((issue) =>
      issue.field.startsWith('headers.') ? `Header ${issue.field.slice('headers.'.length)}: ${issue.message}` : `${issue.field}: ${issue.message}`,
    );
    if (rest.length > 0) formError.append(h('p', {}, 'The webhook was not created:'), h('ul', {}, ...rest.map((m) => h('li', {}, m))));
    const firstInvalid = form.querySelector<HTMLInputElement>('[aria-invalid="true"]');
    firstInvalid?.focus();
  }

  /** The headers as the API takes them; a row left blank is ignored, a name given twice is refused here. */
  function readHeaders(): Record<string, string> | null {
    const headers: Record<string, string> = {};
    let ok = true;
    for (const row of rows) {
      const key = row.name.value.trim();
      if (key === '' && row.value.value === '') continue;
      if (Object.hasOwn(headers, key)) {
        showError(row.name, row.error, 'header name is given twice');
        ok = false;
      }
      headers[key] = row.value.value;
    }
    return ok ? headers : null;
  }

  const form = h(
    'form',
    { class: 'form', novalidate: true },
    name.element,
    url.element,
    h('fieldset', { class: 'fieldset' }, h('legend', {}, 'Custom headers (optional)'), h('p', { class: 'field__hint' }, 'Sent with every delivery, e.g. an API key your receiver expects. At most 10.'), rowList, headersError, addHeader),
    formError,
    h('div', { class: 'form__actions' }, create),
    limit,
  );
  create.setAttribute('aria-describedby', limitId);

  let atLimit = false;
  let busy = false;
  const updateButton = () => {
    create.disabled = atLimit || busy;
    create.textContent = busy ? 'Creating…' : 'Create webhook';
    limit.hidden = !atLimit;
  };

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (atLimit || busy) return;
    clearErrors();
    const headers = readHeaders();
    if (headers === null) return showIssues([]);
    busy = true;
    updateButton();
    submit({ name: name.input.value.trim(), url: url.input.value.trim(), headers })
      .then(() => {
        form.reset();
        for (const row of rows.splice(0)) row.element.remove();
      })
      .catch((err: unknown) => {
        if (err instanceof ApiFailure && err.details.length > 0) showIssues(err.details);
        else formError.append(h('p', {}, err instanceof Error ? err.message : 'The webhook was not created.'));
      })
      .finally(() => {
        busy = false;
        updateButton();
      });
  });

  return {
    element: form,
    /** Disables Create, with the reason, once the company has the most webhooks allowed. */
    setCount(count: number): void {
      atLimit = count >= MAX_WEBHOOKS_PER_COMPANY;
      updateButton();
    },
  };
}

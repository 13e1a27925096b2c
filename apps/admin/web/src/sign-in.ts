import { ApiFailure, createApi, type Webhook } from './api.js';
import { h, uid } from './dom.js';
import { saveSession, type Session } from './session.js';

/** Company slug + admin token; the token is checked by listing the company's webhooks. */
export function signInView(onSignedIn: (session: Session, webhooks: Webhook[]) => void, notice?: string): HTMLElement {
  const slugId = uid('company');
  const tokenId = uid('token');
  const slug = h('input', { id: slugId, class: 'input', name: 'company', required: true, autocomplete: 'organization', spellcheck: 'false', 'aria-describedby': `${slugId}-hint ${slugId}-error` });
  const token = h('input', { id: tokenId, class: 'input', name: 'token', type: 'password', required: true, autocomplete: 'current-password', 'aria-describedby': `${tokenId}-hint ${tokenId}-error` });
  const slugError = h('p', { id: `${slugId}-error`, class: 'field__error' });
  const tokenError = h('p', { id: `${tokenId}-error`, class: 'field__error' });
  const formError = h('div', { class: 'form__error', role: 'alert' }, notice ?? '');
  const submit = h('button', { type: 'submit', class: 'button button--primary' }, 'Sign in');

  const fail = (input: HTMLInputElement, error: HTMLElement, message: string) => {
    error.textContent = message;
    input.setAttribute('aria-invalid', 'true');
    input.focus();
  };

  const form = h(
    'form',
    { class: 'form panel', novalidate: true },
    h('div', { class: 'field' }, h('label', { for: slugId, class: 'field__label' }, 'Company slug'), h('p', { id: `${slugId}-hint`, class: 'field__hint' }, 'The company whose webhooks you manage.'), slug, slugError),
    h('div', { class: 'field' }, h('label', { for: tokenId, class: 'field__label' }, 'Admin token'), h('p', { id: `${tokenId}-hint`, class: 'field__hint' }, 'Kept in this tab only, until you close it or sign out.'), token, tokenError),
    formError,
    h('div', { class: 'form__actions' }, submit),
  );

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    for (const el of [slug, token]) el.removeAttribute('aria-invalid');
    slugError.textContent = '';
    tokenError.textContent = '';
    formError.textContent = '';
    const session: Session = { company: slug.value.trim(), token: token.value.trim(), kind: 'admin' };
    if (session.company === '') return fail(slug, slugError, 'Enter the company slug.');
    if (session.token === '') return fail(token, tokenError, 'Enter an admin token.');
    submit.disabled = true;
    createApi(session.company, session.token)
      .list()
      .then((webhooks) => {
        saveSession(session);
        onSignedIn(session, webhooks);
      })
      .catch((err: unknown) => {
        if (err instanceof ApiFailure && err.status === 401) fail(token, tokenError, 'This token was not accepted.');
        else if (err instanceof ApiFailure && err.status === 429) fail(token, tokenError, 'This token was not accepted, and too many have been tried from this address: try again in a few minutes.');
        else if (err instanceof ApiFailure && err.details.some((d) => d.field === 'companySlug')) {
          fail(slug, slugError, `This is not a company slug: it ${err.details.find((d) => d.field === 'companySlug')!.message}.`);
        } else formError.textContent = err instanceof Error ? err.message : 'Could not sign in.';
      })
      .finally(() => {
        submit.disabled = false;
      });
  });

  const titleId = uid('title');
  return h(
    'main',
    { class: 'page', 'aria-labelledby': titleId },
    h('p', { class: 'breadcrumb' }, 'Settings › Webhooks'),
    h('h1', { id: titleId, tabindex: '-1' }, 'Sign in to manage webhooks'),
    form,
  );
}

/**
 * What a customer sees when their portal session is over (expired, revoked, signed out, or a link
 * that is not valid): no token field, since they have no token; they come back through outboundIQ.
 */
export function sessionEndedView(message: string): HTMLElement {
  const titleId = uid('title');
  return h(
    'main',
    { class: 'page', 'aria-labelledby': titleId },
    h('p', { class: 'breadcrumb' }, 'Settings › Webhooks'),
    h('h1', { id: titleId, tabindex: '-1' }, 'Your session has ended'),
    h('div', { class: 'panel', role: 'alert' }, h('p', {}, message), h('p', {}, 'To manage your webhooks, reopen Settings › Webhooks from outboundIQ.')),
  );
}

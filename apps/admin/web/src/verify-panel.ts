import { h, uid } from './dom.js';
import { NODE_SNIPPET, PYTHON_SNIPPET } from './snippets.js';

/** "Verify the signature": what the header is, and the doc's two snippets. */
export function verifyPanel(): HTMLElement {
  const titleId = uid('verify');
  const snippet = (language: string, code: string) => {
    const id = uid('snippet');
    return h(
      'figure',
      { class: 'snippet' },
      h('figcaption', { id }, language),
      h('pre', { tabindex: '0', 'aria-labelledby': id, 'data-snippet': language }, h('code', {}, code)),
    );
  };
  return h(
    'section',
    { class: 'panel', 'aria-labelledby': titleId },
    h('h2', { id: titleId }, 'Verify the signature'),
    h(
      'p',
      {},
      'Every delivery carries ',
      h('code', {}, 'X-OutboundIQ-Signature: sha256=<hex>'),
      ', the HMAC-SHA256 of the raw request body with your signing secret. Check it before trusting the payload:',
    ),
    snippet('Node.js', NODE_SNIPPET),
    snippet('Python', PYTHON_SNIPPET),
  );
}

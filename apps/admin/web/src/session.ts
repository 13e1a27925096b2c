/**
 * Who is signed in, for this tab only: sessionStorage dies with the tab and is never sent to the
 * server by itself (unlike a cookie). The token goes out only as the Authorization header of API calls.
 */
export interface Session {
  company: string;
  token: string;
  /** `portal`: a customer's session from outboundIQ's link, for its company only; `admin`: an operator's token. */
  kind: 'admin' | 'portal';
}

const KEY = 'outboundiq.settings.session';

export function loadSession(): Session | null {
  try {
    const value = JSON.parse(sessionStorage.getItem(KEY) ?? 'null') as Partial<Session> | null;
    if (typeof value?.company !== 'string' || typeof value.token !== 'string') return null;
    return { company: value.company, token: value.token, kind: value.kind === 'portal' ? 'portal' : 'admin' };
  } catch {
    return null;
  }
}

export function saveSession(session: Session): void {
  sessionStorage.setItem(KEY, JSON.stringify(session));
}

export function clearSession(): void {
  sessionStorage.removeItem(KEY);
}

/**
 * The portal session of outboundIQ's link (`#session=<token>`, CONTRACT section 3.2), taken out of
 * the address bar at once so that it is neither bookmarked, shared nor kept in history. The token
 * names its company (`oiqps.<base64url slug>.<secret>`). `invalid`: a link whose token is not one;
 * null: the page was opened without a link.
 */
export function takeSessionFromLink(): Session | 'invalid' | null {
  const hash = location.hash;
  if (hash === '') return null;
  history.replaceState(history.state, '', location.pathname + location.search);
  if (!hash.startsWith('#session=')) return null;
  markPortalTab();
  const token = hash.slice('#session='.length);
  const company = /^[A-Za-z0-9._-]+$/.test(token) ? companyOfToken(token) : null;
  return company === null ? 'invalid' : { company, token, kind: 'portal' };
}

const PORTAL_TAB_KEY = 'outboundiq.settings.portal';

/** A tab opened from a portal link stays a customer's: it never offers the operators' token form. */
function markPortalTab(): void {
  sessionStorage.setItem(PORTAL_TAB_KEY, '1');
}

export function isPortalTab(): boolean {
  return sessionStorage.getItem(PORTAL_TAB_KEY) === '1';
}

function companyOfToken(token: string): string | null {
  const [prefix, encoded] = token.split('.');
  if (prefix !== 'oiqps' || !encoded) return null;
  try {
    const binary = atob(encoded.replace(/-/g, '+').replace(/_/g, '/'));
    return new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
  } catch {
    return null;
  }
}

/**
 * Who is signed in, for this tab only: sessionStorage dies with the tab and is never sent to the
 * server by itself (unlike a cookie). The token goes out only as the Authorization header of API calls.
 */
export interface Session {
  company: string;
  token: string;
}

const KEY = 'outboundiq.settings.session';

export function loadSession(): Session | null {
  try {
    const value = JSON.parse(sessionStorage.getItem(KEY) ?? 'null') as Partial<Session> | null;
    return typeof value?.company === 'string' && typeof value.token === 'string' ? { company: value.company, token: value.token } : null;
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

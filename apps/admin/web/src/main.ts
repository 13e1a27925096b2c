import './styles.css';
import type { Webhook } from './api.js';
import { clearSession, isPortalTab, loadSession, saveSession, takeSessionFromLink, type Session } from './session.js';
import { settingsView } from './settings.js';
import { sessionEndedView, signInView } from './sign-in.js';

const root = document.getElementById('app')!;

function show(view: HTMLElement): void {
  root.replaceChildren(view);
  view.querySelector<HTMLElement>('h1')?.focus();
}

function showSignIn(notice?: string): void {
  show(signInView(showSettings, notice));
}

function showSettings(session: Session, webhooks?: Webhook[]): void {
  const signOut = (notice?: string) => {
    clearSession();
    // A customer of a portal session has no token to type: they come back through outboundIQ.
    if (session.kind === 'portal' || isPortalTab()) show(sessionEndedView(notice ?? 'You signed out.'));
    else showSignIn(notice);
  };
  show(settingsView(session, signOut, webhooks));
}

// outboundIQ's link signs in (and replaces whatever this tab had); the fragment goes at once.
const fromLink = takeSessionFromLink();
if (fromLink === 'invalid') clearSession();
else if (fromLink) saveSession(fromLink);
const session = loadSession();
if (session) showSettings(session);
else if (fromLink === 'invalid') show(sessionEndedView('This link is not valid.'));
else if (isPortalTab()) show(sessionEndedView('Your session has ended.'));
else showSignIn();

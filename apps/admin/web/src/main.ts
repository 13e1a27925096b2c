import './styles.css';
import type { Webhook } from './api.js';
import { clearSession, loadSession, type Session } from './session.js';
import { settingsView } from './settings.js';
import { signInView } from './sign-in.js';

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
    showSignIn(notice);
  };
  show(settingsView(session, signOut, webhooks));
}

const session = loadSession();
if (session) showSettings(session);
else showSignIn();

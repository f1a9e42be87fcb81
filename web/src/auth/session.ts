import { CSRF_COOKIE, readCookie } from './csrf';
import { SessionManager } from './sessionManager';

/** The app's one session: a module-level store, exposed to React through AuthProvider. */
export const session = new SessionManager({
  fetch: (input, init) => window.fetch(input, init),
  readCsrfToken: () => readCookie(document.cookie, CSRF_COOKIE),
});

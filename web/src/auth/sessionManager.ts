import { errorCodeOf } from '../api/apiError';
import type { Me, Session } from '../api/accountsTypes';
import { CSRF_HEADER } from './csrf';

export const REFRESH_PATH = '/api/v1/auth/refresh';

export type AuthState =
  | { status: 'loading' }
  | { status: 'anonymous' }
  | { status: 'authenticated'; user: Me; accessToken: string; expiresAt: number };

export interface SessionManagerDeps {
  fetch: (input: string, init?: RequestInit) => Promise<Response>;
  /** The current `lectio_csrf` cookie; re-read on every attempt since rotation replaces it. */
  readCsrfToken: () => string | undefined;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  setTimer?: (callback: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

/** Renew this long before the access token expires (but never later than half its lifetime). */
const RENEW_MARGIN_MS = 60_000;
const MIN_RENEW_DELAY_MS = 5_000;
/** Parallel tabs rotating the same cookie: the browser holds the newer one after a short wait. */
const RACE_RETRIES = 3;
const RACE_BACKOFF_MS = 250;

/**
 * The signed-in session, in memory only. The access token never touches
 * storage; after a reload it is obtained again from the refresh cookie.
 */
export class SessionManager {
  private state: AuthState = { status: 'loading' };
  private readonly listeners = new Set<() => void>();
  private inflight: Promise<boolean> | null = null;
  private timer: unknown = undefined;
  private readonly deps: Required<SessionManagerDeps>;

  constructor(deps: SessionManagerDeps) {
    this.deps = {
      now: () => Date.now(),
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      setTimer: (callback, ms) => setTimeout(callback, ms),
      clearTimer: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
      ...deps,
    };
  }

  readonly getState = (): AuthState => this.state;

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  get accessToken(): string | undefined {
    return this.state.status === 'authenticated' ? this.state.accessToken : undefined;
  }

  setSession(session: Session): void {
    const lifetimeMs = Math.max(0, session.expiresIn * 1000);
    this.setState({
      status: 'authenticated',
      user: session.user,
      accessToken: session.accessToken,
      expiresAt: this.deps.now() + lifetimeMs,
    });
    this.cancelTimer();
    const delay = Math.max(MIN_RENEW_DELAY_MS, Math.max(lifetimeMs - RENEW_MARGIN_MS, lifetimeMs / 2));
    this.timer = this.deps.setTimer(() => {
      this.timer = undefined;
      void this.refresh();
    }, delay);
  }

  /** Replaces the cached user after a profile change, keeping the token. */
  updateUser(user: Me): void {
    if (this.state.status === 'authenticated') this.setState({ ...this.state, user });
  }

  clear(): void {
    this.cancelTimer();
    this.setState({ status: 'anonymous' });
  }

  /**
   * Renews the access token from the refresh cookie. Concurrent callers share
   * one request: the server rotates the cookie on every use, so two parallel
   * refreshes from one tab would race each other.
   */
  refresh(): Promise<boolean> {
    this.inflight ??= this.runRefresh().finally(() => {
      this.inflight = null;
    });
    return this.inflight;
  }

  /**
   * fetch with the access token. A 401 triggers one refresh and, if that
   * worked, one retry; the body must therefore be replayable (a string).
   */
  async fetch(input: string, init: RequestInit = {}): Promise<Response> {
    if (this.inflight) await this.inflight;
    const response = await this.deps.fetch(input, this.withToken(init));
    if (response.status !== 401) return response;
    const renewed = await this.refresh();
    if (!renewed) return response;
    return this.deps.fetch(input, this.withToken(init));
  }

  private withToken(init: RequestInit): RequestInit {
    const headers = new Headers(init.headers);
    const token = this.accessToken;
    if (token) headers.set('Authorization', `Bearer ${token}`);
    return { ...init, headers };
  }

  private async runRefresh(): Promise<boolean> {
    for (let attempt = 0; ; attempt++) {
      const csrf = this.deps.readCsrfToken();
      // Without the readable CSRF cookie there is no refresh cookie either (they are set together).
      if (!csrf) {
        this.clear();
        return false;
      }
      let response: Response;
      try {
        response = await this.deps.fetch(REFRESH_PATH, {
          method: 'POST',
          credentials: 'include',
          headers: { [CSRF_HEADER]: csrf },
        });
      } catch {
        // Offline: keep a session we have (the next 401 tries again); on start, nobody is signed in.
        if (this.state.status === 'loading') this.setState({ status: 'anonymous' });
        return false;
      }
      if (response.ok) {
        this.setSession((await response.json()) as Session);
        return true;
      }
      const body: unknown = await response.json().catch(() => undefined);
      if (response.status === 409 && errorCodeOf(body) === 'refresh_raced' && attempt < RACE_RETRIES) {
        await this.deps.sleep(RACE_BACKOFF_MS * (attempt + 1));
        continue;
      }
      this.clear();
      return false;
    }
  }

  private cancelTimer(): void {
    if (this.timer !== undefined) this.deps.clearTimer(this.timer);
    this.timer = undefined;
  }

  private setState(next: AuthState): void {
    this.state = next;
    for (const listener of this.listeners) listener();
  }
}

import { waitUntil } from './servers.js';

/** A tiny cookie-aware client for the accounts API, as a browser tab would use it. */
export class ApiClient {
  readonly cookies = new Map<string, string>();
  accessToken: string | undefined;

  constructor(
    readonly baseUrl: string,
    /** Sent as X-Forwarded-For (the test server trusts the proxy), so each test has its own IP. */
    readonly ip: string,
  ) {}

  async call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
    const cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const res = await fetch(`${this.baseUrl}/api/v1${path}`, {
      method,
      headers: {
        'x-forwarded-for': this.ip,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(cookie ? { cookie } : {}),
        ...(this.accessToken ? { authorization: `Bearer ${this.accessToken}` } : {}),
        ...headers,
      },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq);
      const value = pair!.slice(eq + 1);
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return res;
  }

  async login(email: string, password: string): Promise<Response> {
    const res = await this.call('POST', '/auth/login', { email, password });
    if (res.ok) this.accessToken = ((await res.clone().json()) as { accessToken: string }).accessToken;
    return res;
  }

  /** Refresh with the CSRF header the web app would send. */
  refresh(): Promise<Response> {
    return this.call('POST', '/auth/refresh', undefined, { 'x-csrf-token': this.cookies.get('lectio_csrf') ?? '' });
  }
}

export async function errorCode(res: Response): Promise<string> {
  return ((await res.json()) as { error: { code: string } }).error.code;
}

interface Mail {
  id: string;
  to: string[];
  subject: string;
  text: string;
}

/** Waits for a mail to `to` whose text matches, in the dev mailbox, and returns the captured group. */
export async function mailedToken(baseUrl: string, to: string, pattern: RegExp, skip = new Set<string>()) {
  return waitUntil(async () => {
    const res = await fetch(`${baseUrl}/api/v1/dev/mailbox?limit=100`, {
      headers: { 'x-forwarded-for': '10.255.0.1' },
    });
    const { items } = (await res.json()) as { items: Mail[] };
    const mail = items.find((m) => m.to.includes(to) && pattern.test(m.text) && !skip.has(m.id));
    if (!mail) return undefined;
    skip.add(mail.id);
    return pattern.exec(mail.text)![1]!;
  }, `a mail to ${to}`);
}

export async function mailsTo(baseUrl: string, to: string): Promise<Mail[]> {
  const res = await fetch(`${baseUrl}/api/v1/dev/mailbox?limit=100`, { headers: { 'x-forwarded-for': '10.255.0.1' } });
  return ((await res.json()) as { items: Mail[] }).items.filter((m) => m.to.includes(to));
}

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';

export const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url));
export const ARTIFACTS_DIR = fileURLToPath(new URL('./artifacts/', import.meta.url));

const SERVER_ENTRY = path.join('server', 'dist', 'main', 'cli.js');
const READY_TIMEOUT_MS = 60_000;
const READY_POLL_INTERVAL_MS = 200;
const READY_REQUEST_TIMEOUT_MS = 2_000;
const STOP_GRACE_MS = 10_000;
const OUTPUT_LINES_KEPT = 60;
// Starting the server (a first start migrates and seeds) and the browser.
const SETUP_TIMEOUT_MS = 90_000;
// URLs with these schemes never reach the network.
const LOCAL_PROTOCOLS = ['data:', 'blob:', 'about:'];

// An external database, Redis or S3 set in the developer's shell would make
// the test touch real infrastructure; without them Lectio uses its embedded
// backends inside the throwaway data dir.
const INHERITED_ENV_DENYLIST = [/^DATABASE_URL$/, /^REDIS_URL$/, /^S3_/];

// Servers whose stop() was never reached (a failing hook, a runner that exits
// early) must not outlive the run holding ports; only sync work fits in 'exit'.
const liveChildren = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of liveChildren) child.kill('SIGKILL');
});

export interface LectioInstance {
  /** Base URL without a trailing slash, e.g. http://127.0.0.1:41234 */
  readonly url: string;
  readonly dataDir: string;
  /** The server's last lines of output (warnings and errors at the harness's log level). */
  output(): string;
  stop(): Promise<void>;
}

export interface StartLectioOptions {
  /** Extra environment for the server; wins over the harness defaults except PORT and LECTIO_DATA_DIR. */
  env?: Record<string, string>;
  /** How long a first start (migrate, seed) may take; a suite sharing a busy machine may need more. */
  readyTimeoutMs?: number;
}

export async function startLectio(options: StartLectioOptions = {}): Promise<LectioInstance> {
  const port = await findFreePort();
  const url = `http://127.0.0.1:${port}`;
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'lectio-e2e-'));

  const child = spawn(process.execPath, [SERVER_ENTRY, 'serve'], {
    cwd: REPO_ROOT,
    env: {
      ...inheritedEnv(),
      NODE_ENV: 'development',
      LOG_LEVEL: 'warn',
      ...options.env,
      PORT: String(port),
      LECTIO_DATA_DIR: dataDir,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = new OutputTail(OUTPUT_LINES_KEPT);
  child.stdout?.on('data', (chunk: Buffer) => output.append('stdout', chunk));
  child.stderr?.on('data', (chunk: Buffer) => output.append('stderr', chunk));
  // Without a listener a failed spawn would crash the test runner instead of failing the test.
  child.once('error', (error) => output.append('stderr', Buffer.from(`spawn failed: ${error.message}\n`)));
  liveChildren.add(child);

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      await terminate(child);
      liveChildren.delete(child);
      await rm(dataDir, { recursive: true, force: true });
    })();
    return stopping;
  };

  try {
    await waitUntilReady(url, child, output, options.readyTimeoutMs ?? READY_TIMEOUT_MS);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, dataDir, output: () => output.format(), stop };
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Absolute path for a test artifact (screenshot, trace), creating the folder on first use. */
export async function artifactPath(fileName: string): Promise<string> {
  await mkdir(ARTIFACTS_DIR, { recursive: true });
  return path.join(ARTIFACTS_DIR, fileName);
}

function inheritedEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !INHERITED_ENV_DENYLIST.some((pattern) => pattern.test(name))),
  );
}

// The port is released before the server binds it, so another process could
// grab it in between; on a test machine that window is small enough.
function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.unref();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      if (address === null || typeof address === 'string') {
        probe.close();
        reject(new Error('could not determine a free TCP port'));
        return;
      }
      probe.close(() => resolve(address.port));
    });
  });
}

async function waitUntilReady(url: string, child: ChildProcess, output: OutputTail, timeoutMs: number): Promise<void> {
  const readyUrl = `${url}/health/ready`;
  const deadline = Date.now() + timeoutMs;
  let lastProblem = 'no answer yet';

  while (Date.now() < deadline) {
    // A server that crashed on boot will never become ready: fail fast with its output.
    if (hasExited(child)) {
      throw new Error(`Lectio exited before becoming ready (${describeExit(child)})\n${output.format()}`);
    }
    try {
      const response = await fetch(readyUrl, {
        signal: AbortSignal.timeout(READY_REQUEST_TIMEOUT_MS),
      });
      await response.body?.cancel();
      if (response.status === 200) return;
      lastProblem = `HTTP ${response.status}`;
    } catch (error) {
      lastProblem = error instanceof Error ? error.message : String(error);
    }
    await delay(READY_POLL_INTERVAL_MS);
  }

  throw new Error(
    `Lectio did not answer 200 on ${readyUrl} within ${timeoutMs / 1000}s ` +
      `(last: ${lastProblem})\n${output.format()}`,
  );
}

async function terminate(child: ChildProcess): Promise<void> {
  if (hasExited(child)) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const exitedInTime = await Promise.race([exited.then(() => true), delay(STOP_GRACE_MS).then(() => false)]);
  if (!exitedInTime) {
    child.kill('SIGKILL');
    await exited;
  }
}

function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

function describeExit(child: ChildProcess): string {
  return child.signalCode ? `signal ${child.signalCode}` : `exit code ${child.exitCode}`;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Keeps the last lines a child printed, for error messages when it misbehaves. */
class OutputTail {
  private readonly lines: string[] = [];
  private readonly partial = { stdout: '', stderr: '' };

  constructor(private readonly capacity: number) {}

  append(stream: 'stdout' | 'stderr', chunk: Buffer): void {
    const text = this.partial[stream] + chunk.toString('utf8');
    const complete = text.split(/\r?\n/);
    this.partial[stream] = complete.pop() ?? '';
    for (const line of complete) this.push(stream, line);
  }

  format(): string {
    const pending = (['stdout', 'stderr'] as const)
      .filter((stream) => this.partial[stream] !== '')
      .map((stream) => `[${stream}] ${this.partial[stream]}`);
    const all = [...this.lines, ...pending];
    return all.length > 0 ? `--- last output of the server ---\n${all.join('\n')}` : '(the server printed nothing)';
  }

  private push(stream: 'stdout' | 'stderr', line: string): void {
    this.lines.push(`[${stream}] ${line}`);
    if (this.lines.length > this.capacity) this.lines.shift();
  }
}

export interface LectioWithBrowser {
  /** The running server; throws when beforeAll did not finish. */
  lectio(): LectioInstance;
  /** The shared browser; throws when beforeAll did not finish. */
  browser(): Browser;
}

/**
 * Starts Lectio and a browser before the tests of the enclosing describe block
 * and stops both after them. Call it at the top of a describe callback.
 */
export function useLectioWithBrowser(
  options: StartLectioOptions & { setupTimeoutMs?: number } = {},
): LectioWithBrowser {
  const { setupTimeoutMs = SETUP_TIMEOUT_MS, ...startOptions } = options;
  let lectio: LectioInstance | undefined;
  let browser: Browser | undefined;

  beforeAll(async () => {
    lectio = await startLectio(startOptions);
    browser = await launchBrowser();
  }, setupTimeoutMs);

  // A failed step in CI says only what it waited for; what the server logged meanwhile (a 500, a
  // job that failed) is often why, and the server is gone once the suite ends.
  afterEach((context) => {
    if (context.task.result?.state === 'fail' && lectio) {
      console.error(`${context.task.name} failed; the server's output:\n${lectio.output()}`);
    }
  });

  afterAll(async () => {
    await browser?.close();
    await lectio?.stop();
  }, setupTimeoutMs);

  return {
    lectio() {
      if (!lectio) throw new Error('beforeAll did not finish');
      return lectio;
    },
    browser() {
      if (!browser) throw new Error('beforeAll did not finish');
      return browser;
    },
  };
}

export interface OpenTrackedPageOptions {
  /** Browser locale, e.g. 'en-US'. */
  locale: string;
  /** Path to open once the page is set up, e.g. '/dev/mailbox'. */
  path: string;
  /** Runs before the first navigation, e.g. to install page.route mocks. */
  prepare?: (page: Page) => Promise<unknown>;
}

export interface TrackedPage {
  context: BrowserContext;
  page: Page;
  /** Requests that left the Lectio origin: the CSP forbids them and the app must not need them. */
  foreignRequests: string[];
  /** console.error messages and uncaught exceptions (prefixed "uncaught: "). */
  consoleErrors: string[];
  /** Uncaught exceptions only (prefixed "uncaught: "), for pages that expect failed requests in the console. */
  pageErrors: string[];
}

/**
 * Opens `path` in a fresh context of `browser`, recording (and refusing) requests
 * that leave the Lectio origin, console errors and uncaught exceptions.
 * The caller closes the returned context.
 */
export async function openTrackedPage(
  browser: Browser,
  baseUrl: string,
  { locale, path: pagePath, prepare }: OpenTrackedPageOptions,
): Promise<TrackedPage> {
  const origin = new URL(baseUrl).origin;
  const context = await browser.newContext({ locale });
  const page = await context.newPage();
  const tracked: TrackedPage = { context, page, foreignRequests: [], consoleErrors: [], pageErrors: [] };

  page.on('request', (request) => {
    const url = new URL(request.url());
    // data:/blob:/about: URLs never reach the network, so they have no host to leak to.
    if (LOCAL_PROTOCOLS.includes(url.protocol)) return;
    if (url.origin !== origin) tracked.foreignRequests.push(request.url());
  });
  // This machine has no route to other hosts: a stray request would hang until its timeout
  // (and stall every wait for an idle network). Refuse it at once; it is still recorded above.
  await context.route(
    (url) => !LOCAL_PROTOCOLS.includes(url.protocol) && url.origin !== origin,
    (route) => route.abort('blockedbyclient'),
  );
  page.on('console', (message) => {
    if (message.type() === 'error') tracked.consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => {
    tracked.consoleErrors.push(`uncaught: ${error.message}`);
    tracked.pageErrors.push(`uncaught: ${error.message}`);
  });

  try {
    await prepare?.(page);
    await page.goto(`${baseUrl}${pagePath}`, { waitUntil: 'networkidle' });
  } catch (error) {
    await context.close();
    throw error;
  }
  return tracked;
}

/** A lesson as the course API lists it. */
export interface Lesson {
  id: string;
  title: string;
  type: 'video' | 'text' | 'attachment';
}

/** Logs in over the API (setting up what a test is not about); returns the access token. */
export async function apiLogin(baseUrl: string, account: { email: string; password: string }): Promise<string> {
  const response = await fetch(`${baseUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(account),
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { accessToken: string }).accessToken;
}

/** A JSON call to /api/v1 as `token` (or anonymously); returns the status and the parsed body. */
export async function apiCall<T>(baseUrl: string, token: string | null, method: string, path: string, body?: unknown) {
  const response = await fetch(`${baseUrl}/api/v1${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? null : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
}

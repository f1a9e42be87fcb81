import http from 'node:http';
import type { FuzzRequest } from './openapi-arbitraries.js';

export interface FuzzResponse {
  status: number;
  contentType: string;
  body: string;
}

/**
 * node:http rather than fetch: fetch normalises `..` and `%2e%2e` in the path before sending and
 * refuses some bodies on some methods, and the point is to send what a hostile client would.
 */
export function send(
  baseUrl: string,
  request: FuzzRequest,
  token: string | undefined,
  agent: http.Agent,
): Promise<FuzzResponse> {
  const { hostname, port } = new URL(baseUrl);
  const headers: Record<string, string> = {
    // Each call from its own address behind the trusted proxy: per-IP log-in limits are not what is tested.
    'x-forwarded-for': `10.${(Math.random() * 250) | 0}.${(Math.random() * 250) | 0}.${((Math.random() * 250) | 0) + 1}`,
    ...request.headers,
  };
  if (request.auth === 'token' && token) headers.authorization = `Bearer ${token}`;
  if (request.auth === 'damaged' && request.damagedAuth) headers.authorization = request.damagedAuth;
  const data = request.body ? Buffer.from(request.body.data) : undefined;
  if (request.body?.contentType) headers['content-type'] = request.body.contentType;
  if (data) headers['content-length'] = String(data.length);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: hostname, port, method: request.method, path: request.url, headers, agent, timeout: 30_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            contentType: String(res.headers['content-type'] ?? ''),
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () =>
      req.destroy(new Error(`no answer in 30 s to ${request.method} ${request.url.slice(0, 200)}`)),
    );
    req.on('error', reject);
    req.end(data);
  });
}

/** What no response may contain: traces, file paths, driver and SQL error text. */
const LEAKS: readonly [string, RegExp][] = [
  ['stack frame', /\bat .*\.[cm]?[tj]s:\d+/],
  ['error class', /\b(Type|Reference|Range|Syntax)?Error: /],
  ['source path', /\/(work|home|src|app)\/[\w./-]+\.[cm]?[tj]s\b|node_modules/],
  [
    'SQL error',
    /syntax error at or near|relation "[^"]*" does not exist|violates (foreign key|unique|check|not-null) constraint|invalid input (syntax|value) for|duplicate key value|out of range for type|invalid byte sequence for encoding|unterminated quoted string|column "[^"]*" (does not exist|of relation)/i,
  ],
];
/** In an error body only: /health/ready names its backends on purpose. */
const ERROR_LEAKS: readonly [string, RegExp][] = [
  ['driver name', /\b(drizzle|pglite|PostgresError|DatabaseError|ioredis|bullmq)\b/i],
];

/** The problems with one response, or none. */
export function problemsOf(res: FuzzResponse): string[] {
  const problems: string[] = [];
  if (res.status >= 500) problems.push(`status ${res.status}`);
  for (const [what, pattern] of res.status >= 400 ? [...LEAKS, ...ERROR_LEAKS] : LEAKS) {
    const m = pattern.exec(res.body);
    if (m) problems.push(`${what} in body: ${JSON.stringify(res.body.slice(Math.max(0, m.index - 60), m.index + 80))}`);
  }
  if (res.status >= 400 && res.status < 500) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(res.body);
    } catch {
      problems.push(`${res.status} body is not JSON: ${JSON.stringify(res.body.slice(0, 120))}`);
      return problems;
    }
    if (!res.contentType.startsWith('application/json')) problems.push(`${res.status} content-type ${res.contentType}`);
    const error = (parsed as { error?: { code?: unknown; message?: unknown; details?: unknown } }).error;
    const keys = Object.keys(parsed as object);
    if (
      !error ||
      keys.length !== 1 ||
      typeof error.code !== 'string' ||
      !/^[a-z][a-z0-9_]*$/.test(error.code) ||
      typeof error.message !== 'string' ||
      (error.details !== undefined &&
        (typeof error.details !== 'object' || error.details === null || Array.isArray(error.details)))
    ) {
      problems.push(`${res.status} body is not the error shape: ${JSON.stringify(res.body.slice(0, 200))}`);
    }
    // The error handler's safety net for values the database refuses: the user gets a 400, but it
    // means a schema let through what it should have refused, so the fuzzer still reports it.
    if (error?.code === 'invalid_input')
      problems.push(`a schema let through a value the database refused: ${res.body.slice(0, 200)}`);
  }
  return problems;
}

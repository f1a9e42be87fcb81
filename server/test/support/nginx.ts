import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http, { type Agent as HttpAgent, type IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { canConnect } from './private-services.js';

/**
 * Real nginx for the deploy/nginx tests: a template from deploy/nginx rendered as envsubst would
 * render it, run from its own temporary prefix (`nginx -p`) on free loopback ports, stopped and
 * removed by stop().
 */

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const NGINX_DIR = path.join(REPO_ROOT, 'deploy/nginx');
const NGINX = existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : 'nginx';
export const NJS_MODULE = '/usr/lib/nginx/modules/ngx_http_js_module.so';

/** Fills the `${LECTIO_*}` placeholders of a deploy/nginx template; fails on any left unfilled. */
export function renderTemplate(file: string, values: Record<string, string>): string {
  let conf = readFileSync(path.join(NGINX_DIR, file), 'utf8');
  for (const [name, value] of Object.entries(values)) conf = conf.replaceAll(`\${${name}}`, value);
  const left = /\$\{LECTIO_[A-Z0-9_]+\}/.exec(conf.replace(/^\s*#.*$/gm, ''));
  if (left) throw new Error(`${file} has a placeholder the test does not fill: ${left[0]}`);
  return conf;
}

export interface Nginx {
  dir: string;
  /** The master process. */
  pid: number;
  errorLog: string;
  /** The error log so far (for failure messages and "no errors" checks). */
  errors(): string;
  stop(): Promise<void>;
}

export interface NginxOptions {
  /** Text placed inside `http { }`, typically a rendered template. */
  http: (dir: string) => string;
  /** Main-context lines (e.g. `env PLAYBACK_SIGNING_KEY;`). */
  main?: string[];
  env?: Record<string, string>;
  njs?: boolean;
  /** Ports that must accept connections before start() returns. */
  ports: number[];
  /** worker_processes; default 1. */
  workers?: number;
  /** worker_connections; default 1024. */
  workerConnections?: number;
  /** Lines at the top of `http { }`; default a few MIME types. */
  httpSettings?: string[];
  /** Name prefix of the temporary prefix directory. */
  tmpPrefix?: string;
  /** Checked (with the master's pid) once every port accepts, until it holds, e.g. all workers forked. */
  ready?: (pid: number) => boolean;
}

export async function startNginx(options: NginxOptions): Promise<Nginx> {
  if (options.njs && !existsSync(NJS_MODULE)) {
    throw new Error(
      `nginx's njs module is missing (${NJS_MODULE}): apt-get install nginx libnginx-mod-http-js (node scripts/ensure-system-deps.mjs test installs it)`,
    );
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), options.tmpPrefix ?? 'lectio-nginx-'));
  // Workers drop root for nobody: they must reach the cache and temp paths under this directory.
  chmodSync(dir, 0o755);
  const errorLog = path.join(dir, 'error.log');
  const temp = (name: string) => `${name}_temp_path ${path.join(dir, name)};`;
  writeFileSync(
    path.join(dir, 'nginx.conf'),
    [
      options.njs ? `load_module ${NJS_MODULE};` : '',
      ...(options.main ?? []),
      process.getuid?.() === 0 ? 'user nobody nogroup;' : '',
      `worker_processes ${options.workers ?? 1};`,
      `error_log ${errorLog} warn;`,
      `events { worker_connections ${options.workerConnections ?? 1024}; }`,
      'http {',
      `  ${temp('client_body')} ${temp('proxy')} ${temp('fastcgi')} ${temp('uwsgi')} ${temp('scgi')}`,
      ...(options.httpSettings ?? ['  types { text/html html; application/javascript js; text/css css; }']),
      options.http(dir),
      '}',
    ].join('\n'),
  );
  const nginx = spawn(
    NGINX,
    [
      '-p',
      dir,
      '-c',
      path.join(dir, 'nginx.conf'),
      '-e',
      errorLog,
      '-g',
      `daemon off; pid ${path.join(dir, 'nginx.pid')};`,
    ],
    { env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/bin', ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  nginx.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  nginx.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  let spawnError: Error | undefined;
  nginx.once('error', (error) => (spawnError = error));
  // If the test process dies before afterAll, nginx must not outlive it.
  const onExit = () => nginx.kill('SIGTERM');
  process.once('exit', onExit);
  const errors = () => (existsSync(errorLog) ? readFileSync(errorLog, 'utf8') : '');
  const stop = async () => {
    process.off('exit', onExit);
    if (nginx.exitCode === null && nginx.signalCode === null && !spawnError) {
      await new Promise<void>((resolve) => {
        nginx.once('exit', () => resolve());
        nginx.kill('SIGTERM');
      });
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline && !spawnError && nginx.exitCode === null) {
    const listening = await Promise.all(options.ports.map(canConnect));
    const pid = nginx.pid;
    if (listening.every(Boolean) && pid !== undefined && (options.ready?.(pid) ?? true)) {
      return { dir, pid, errorLog, errors, stop };
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const log = errors();
  await stop();
  if (spawnError) throw new Error(`nginx could not be started (${NGINX}): ${spawnError.message}`);
  throw new Error(`nginx did not start (exit ${nginx.exitCode}):\n${output}\n${log}`);
}

/** A self-signed certificate for 127.0.0.1/localhost, made with openssl in `dir`. */
export function selfSignedCertificate(dir: string): { cert: string; key: string } {
  const cert = path.join(dir, 'lb.crt');
  const key = path.join(dir, 'lb.key');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { stdio: 'ignore' },
  );
  // nginx's master process reads both at start-up, as the user who started it.
  return { cert, key };
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** The bytes as sent: not decompressed. */
  body: Buffer;
}

export interface RawRequest {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
  /** Source address on the loopback (127.0.0.0/8): each one is a different client to nginx. */
  localAddress?: string;
  timeoutMs?: number;
}

/** One request, nothing normalised or decompressed, over HTTPS (verified against `ca`) or HTTP. */
export function rawRequest(
  target: { port: number; ca?: string; agent?: HttpAgent | false },
  req: RawRequest,
): Promise<RawResponse> {
  const client = target.ca ? https : http;
  return new Promise((resolve, reject) => {
    const request = client.request(
      {
        host: '127.0.0.1',
        port: target.port,
        path: req.path,
        method: req.method ?? 'GET',
        headers: { ...(req.body ? { 'content-type': 'application/json' } : {}), ...req.headers },
        localAddress: req.localAddress,
        agent: target.agent ?? false,
        ...(target.ca ? { ca: target.ca, servername: 'localhost' } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
        res.on('error', reject);
      },
    );
    request.setTimeout(req.timeoutMs ?? 10_000, () => request.destroy(new Error(`timeout: ${req.path}`)));
    request.on('error', reject);
    request.end(req.body);
  });
}

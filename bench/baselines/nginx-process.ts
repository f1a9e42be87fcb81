/**
 * Debian nginx as the benches run it: its own prefix in a temporary directory (config, pid, logs,
 * every temp path), free loopback ports, one worker per core, sendfile and long keep-alive, stopped
 * and removed by stop(). Both the static-file baseline and the Lectio edge run under this same
 * main/http context, so what differs between them is only their `server { }`.
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { processTree } from '../lib/load.js';

const NGINX = existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : 'nginx';
export const NJS_MODULE = '/usr/lib/nginx/modules/ngx_http_js_module.so';

export interface NginxProcessOptions {
  /** Text inside `http { }` (the server blocks), given this instance's directory. */
  http: (dir: string) => string;
  /** Main-context lines, e.g. `env PLAYBACK_SIGNING_KEY;`. */
  main?: string[];
  env?: Record<string, string>;
  njs?: boolean;
  /** Ports that must accept connections before the start resolves. */
  ports: number[];
  /** worker_processes; default one per core. */
  workers?: number;
}

export interface NginxProcess {
  dir: string;
  /** Master and workers. */
  pids(): number[];
  errors(): string;
  stop(): Promise<void>;
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export async function startNginxProcess(options: NginxProcessOptions): Promise<NginxProcess> {
  if (options.njs && !existsSync(NJS_MODULE)) {
    throw new Error(`nginx's njs module is missing (${NJS_MODULE}): apt-get install nginx libnginx-mod-http-js`);
  }
  const workers = options.workers ?? os.availableParallelism();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lectio-bench-nginx-'));
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
      `worker_processes ${workers};`,
      `error_log ${errorLog} warn;`,
      'events { worker_connections 4096; }',
      'http {',
      `  ${temp('client_body')} ${temp('proxy')} ${temp('fastcgi')} ${temp('uwsgi')} ${temp('scgi')}`,
      '  include /etc/nginx/mime.types;',
      '  default_type application/octet-stream;',
      '  sendfile on;',
      '  tcp_nopush on;',
      '  tcp_nodelay on;',
      // A load run reuses each connection for its whole duration; the default (1,000 requests)
      // would make both servers under test pay reconnects that no player pays.
      '  keepalive_timeout 65s;',
      '  keepalive_requests 1000000;',
      options.http(dir),
      '}',
    ].join('\n'),
  );
  const child = spawn(
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
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  let spawnError: Error | undefined;
  child.once('error', (error) => (spawnError = error));
  // If the bench dies first, nginx must not outlive it.
  const onExit = () => child.kill('SIGTERM');
  process.once('exit', onExit);
  const errors = () => (existsSync(errorLog) ? readFileSync(errorLog, 'utf8') : '');
  const stop = async () => {
    process.off('exit', onExit);
    if (child.exitCode === null && child.signalCode === null && !spawnError) {
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      });
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline && !spawnError && child.exitCode === null) {
    const ready = await Promise.all(options.ports.map(canConnect));
    // Listening is not enough: wait until every worker is forked, so pids() is complete.
    if (ready.every(Boolean) && child.pid !== undefined && processTree(child.pid).length >= workers + 1) {
      const master = child.pid;
      return { dir, pids: () => processTree(master), errors, stop };
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const log = errors();
  await stop();
  if (spawnError) throw new Error(`nginx could not be started (${NGINX}): ${spawnError.message}`);
  throw new Error(`nginx did not start (exit ${child.exitCode}):\n${output}\n${log}`);
}

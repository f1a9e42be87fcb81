/**
 * The delivery ceiling (issue 9): Debian nginx serving `root` as plain static files, one worker
 * per core, sendfile, keep-alive, on a private port with private temp dirs. With `tls`, the same
 * TLS settings as deploy/nginx/edge.conf, so the edge can be compared with it byte for byte.
 */
import { chmodSync } from 'node:fs';
import { freePort } from '../../server/test/support/private-services.js';
import { startNginxProcess } from './nginx-process.js';
import type { Baseline } from './types.js';

export type { Baseline } from './types.js';

export interface NginxStaticOptions {
  /** Serve HTTPS with this certificate (edge.conf's protocols and session cache). */
  tls?: { cert: string; key: string };
  workers?: number;
}

export async function startNginxStatic(root: string, options: NginxStaticOptions = {}): Promise<Baseline> {
  const port = await freePort();
  // Workers run as nobody when the bench runs as root: the files must be readable to them.
  chmodSync(root, 0o755);
  const listen = options.tls ? `listen 127.0.0.1:${port} ssl;` : `listen 127.0.0.1:${port};`;
  const tls = options.tls
    ? [
        `ssl_certificate ${options.tls.cert};`,
        `ssl_certificate_key ${options.tls.key};`,
        'ssl_protocols TLSv1.2 TLSv1.3;',
        'ssl_prefer_server_ciphers off;',
        'ssl_session_cache shared:static_tls:10m;',
        'ssl_session_tickets off;',
      ].join('\n    ')
    : '';
  const nginx = await startNginxProcess({
    ports: [port],
    workers: options.workers,
    http: () => `
  server {
    ${listen}
    ${tls}
    access_log off;
    root ${root};
    location / { }
  }`,
  });
  return {
    url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    pids: () => nginx.pids(),
    stop: () => nginx.stop(),
  };
}

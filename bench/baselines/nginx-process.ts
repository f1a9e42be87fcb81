/**
 * Debian nginx as the benches run it: the tests' nginx (its own prefix in a temporary directory,
 * every temp path in it, free loopback ports, stopped and removed by stop()) tuned for load: one
 * worker per core, sendfile and long keep-alive. Both the static-file baseline and the Lectio edge
 * run under this same main/http context, so what differs between them is only their `server { }`.
 */
import os from 'node:os';
import { startNginx, type NginxOptions } from '../../server/test/support/nginx.js';
import { processTree } from '../lib/load.js';

export interface NginxProcessOptions extends Pick<NginxOptions, 'http' | 'main' | 'env' | 'njs' | 'ports'> {
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

export async function startNginxProcess(options: NginxProcessOptions): Promise<NginxProcess> {
  const workers = options.workers ?? os.availableParallelism();
  const nginx = await startNginx({
    ...options,
    workers,
    workerConnections: 4096,
    tmpPrefix: 'lectio-bench-nginx-',
    httpSettings: [
      '  include /etc/nginx/mime.types;',
      '  default_type application/octet-stream;',
      '  sendfile on;',
      '  tcp_nopush on;',
      '  tcp_nodelay on;',
      // A load run reuses each connection for its whole duration; the default (1,000 requests)
      // would make both servers under test pay reconnects that no player pays.
      '  keepalive_timeout 65s;',
      '  keepalive_requests 1000000;',
    ],
    // Listening is not enough: wait until every worker is forked, so pids() is complete.
    ready: (pid) => processTree(pid).length >= workers + 1,
  });
  return { dir: nginx.dir, pids: () => processTree(nginx.pid), errors: nginx.errors, stop: nginx.stop };
}

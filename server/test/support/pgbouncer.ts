import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from './nginx.js';
import { canConnect, freePort } from './private-services.js';

/**
 * A private PgBouncer running deploy/pgbouncer/pgbouncer.ini (rendered) in front of one database
 * of a PostgreSQL server the test does not own; stop() ends it and removes its directory.
 */

const PGBOUNCER = existsSync('/usr/sbin/pgbouncer') ? '/usr/sbin/pgbouncer' : 'pgbouncer';

export interface PgBouncer {
  port: number;
  /** The app's URL: through PgBouncer, with a password (SCRAM). */
  url: string;
  /** The admin console (SHOW POOLS, SHOW STATS, …). */
  adminUrl: string;
  log(): string;
  stop(): Promise<void>;
}

/** `postgresUrl` names the real server and database; its user logs in through PgBouncer. */
export async function startPgBouncer(postgresUrl: string, database: string): Promise<PgBouncer> {
  const target = new URL(postgresUrl);
  const user = decodeURIComponent(target.username || 'postgres');
  // PgBouncer logs in to PostgreSQL with the client's password: keep the server's if it has one.
  const password = decodeURIComponent(target.password) || `lb-${Math.random().toString(36).slice(2)}`;
  const adminPassword = `admin-${Math.random().toString(36).slice(2)}`;
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lectio-pgbouncer-'));
  let ini = readFileSync(path.join(REPO_ROOT, 'deploy/pgbouncer/pgbouncer.ini'), 'utf8');
  const values: Record<string, string> = {
    LECTIO_PGB_LISTEN_ADDR: '127.0.0.1',
    LECTIO_PGB_LISTEN_PORT: String(port),
    LECTIO_PGB_DATABASE: database,
    LECTIO_PG_HOST: target.hostname,
    LECTIO_PG_PORT: target.port || '5432',
    LECTIO_PG_DBNAME: database,
    LECTIO_PGB_DIR: dir,
  };
  for (const [name, value] of Object.entries(values)) ini = ini.replaceAll(`\${${name}}`, value);
  const left = /\$\{LECTIO_[A-Z_]+\}/.exec(ini.replace(/^;.*$/gm, ''));
  if (left) throw new Error(`pgbouncer.ini has a placeholder the test does not fill: ${left[0]}`);
  writeFileSync(path.join(dir, 'pgbouncer.ini'), ini);
  const quote = (s: string) => `"${s.replace(/"/g, '""')}"`;
  writeFileSync(
    path.join(dir, 'userlist.txt'),
    [`${quote(user)} ${quote(password)}`, `${quote('pgbouncer_admin')} ${quote(adminPassword)}`].join('\n') + '\n',
  );
  chmodSync(path.join(dir, 'userlist.txt'), 0o600);

  // PgBouncer refuses to run as root: as root it runs as the postgres user, owning its directory.
  let command = PGBOUNCER;
  let args = [path.join(dir, 'pgbouncer.ini')];
  if (process.getuid?.() === 0) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    for (const f of ['', 'pgbouncer.ini', 'userlist.txt']) chownSync(path.join(dir, f), uid, gid);
    command = 'runuser';
    args = ['-u', 'postgres', '--', PGBOUNCER, ...args];
  }
  let output = '';
  const child: ChildProcess = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  // If the test process dies before afterAll, PgBouncer must not outlive it (runuser would not pass
  // on a SIGKILL, so the signal goes to PgBouncer itself, by its pid file).
  const pidFile = path.join(dir, 'pgbouncer.pid');
  const onExit = () => {
    try {
      process.kill(Number(readFileSync(pidFile, 'utf8').trim()), 'SIGTERM');
    } catch {
      child.kill('SIGTERM');
    }
  };
  process.once('exit', onExit);
  const logFile = path.join(dir, 'pgbouncer.log');
  const log = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '') + output;
  const stop = async () => {
    process.off('exit', onExit);
    if (child.exitCode === null && child.signalCode === null) {
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        // SIGTERM is PgBouncer's immediate shutdown (runuser passes it on).
        child.kill('SIGTERM');
      });
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline && child.exitCode === null) {
    if (await canConnect(port)) {
      const base = `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${port}`;
      return {
        port,
        url: `${base}/${database}`,
        adminUrl: `postgres://pgbouncer_admin:${encodeURIComponent(adminPassword)}@127.0.0.1:${port}/pgbouncer`,
        log,
        stop,
      };
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const text = log();
  await stop();
  throw new Error(`PgBouncer did not start (exit ${child.exitCode}):\n${text}`);
}

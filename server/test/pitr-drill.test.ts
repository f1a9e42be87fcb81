import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from './support/private-services.js';

/**
 * The point-in-time recovery drill of docs/runbooks/disaster-recovery.md, with pgBackRest and the
 * deploy/pgbackrest/ files, on a PRIVATE PostgreSQL (initdb as the postgres user, a free port, a
 * temporary directory that holds the cluster, the repository, the spool and the logs):
 * `pgbackrest check`, a full backup, writes, a restore to a time between the writes, and the rows
 * as of that time. The shared server is never touched.
 */

const ROOT = path.resolve(import.meta.dirname, '../..');
const DEPLOY = path.join(ROOT, 'deploy/pgbackrest');
const STANZA = 'lectio';

function pgBin(name: string): string {
  for (const version of ['17', '16', '15']) {
    const candidate = `/usr/lib/postgresql/${version}/bin/${name}`;
    if (existsSync(candidate)) return candidate;
  }
  return name;
}

/** initdb and the server refuse root; as root everything runs as the postgres user. */
function asPostgres(cmd: string, args: string[], env: Record<string, string>) {
  const withEnv = ['env', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), cmd, ...args];
  if (process.getuid?.() === 0)
    return execFileSync('runuser', ['-u', 'postgres', '--', ...withEnv], { encoding: 'utf8' });
  return execFileSync(withEnv[0]!, withEnv.slice(1), { encoding: 'utf8' });
}

/**
 * deploy/pgbackrest/pgbackrest.conf with the S3 repository swapped for a local directory and the
 * host paths for temporary ones; every other option (encryption, compression, async archiving,
 * retention, archive timeout) is kept as deployed.
 */
function drillConfig(deployed: string, overrides: Record<string, Record<string, string>>): string {
  const out: string[] = [];
  let section = '';
  const flush = () => {
    for (const [key, value] of Object.entries(overrides[section] ?? {})) out.push(`${key}=${value}`);
    delete overrides[section];
  };
  for (const line of deployed.split('\n')) {
    const header = /^\[(.+)\]\s*$/.exec(line);
    if (header) {
      flush();
      section = header[1]!;
      out.push(line);
      continue;
    }
    const option = /^([a-z0-9-]+)=/.exec(line);
    if (option && (option[1]!.startsWith('repo1-s3-') || option[1]! in (overrides[section] ?? {}))) continue;
    out.push(line);
  }
  flush();
  return out.join('\n') + '\n';
}

describe('point-in-time recovery drill with pgBackRest [private PostgreSQL]', { timeout: 150_000 }, () => {
  let dir: string;
  let dataDir: string;
  let port: number;
  let env: Record<string, string>;
  let running = false;
  const timings: Record<string, number> = {};

  const pgCtl = (args: string[]) => asPostgres(pgBin('pg_ctl'), ['-D', dataDir, ...args], env);
  const start = () => {
    pgCtl(['-l', path.join(dir, 'postgres.log'), '-w', '-t', '60', 'start']);
    running = true;
  };
  const stop = (mode: 'fast' | 'immediate') => {
    if (!running) return;
    pgCtl(['-m', mode, '-w', 'stop']);
    running = false;
  };
  const pgbackrest = (...args: string[]) => asPostgres('pgbackrest', [`--stanza=${STANZA}`, ...args], env);
  const timed = <T>(label: string, run: () => T): T => {
    const started = Date.now();
    try {
      return run();
    } finally {
      timings[label] = Date.now() - started;
    }
  };
  async function query<R extends pg.QueryResultRow>(text: string): Promise<R[]> {
    const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres' });
    await client.connect();
    try {
      return (await client.query<R>(text)).rows;
    } finally {
      await client.end();
    }
  }
  const stopOnExit = () => {
    try {
      stop('immediate');
    } catch {
      // already gone
    }
  };

  beforeAll(async () => {
    port = await freePort();
    dir = mkdtempSync(path.join(os.tmpdir(), 'lectio-pitr-'));
    dataDir = path.join(dir, 'data');
    for (const sub of ['repo', 'spool', 'log', 'lock', 'conf.d']) mkdirSync(path.join(dir, sub));
    if (process.getuid?.() === 0) {
      const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
      const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
      for (const p of [dir, ...['repo', 'spool', 'log', 'lock', 'conf.d'].map((s) => path.join(dir, s))]) {
        chownSync(p, uid, gid);
      }
    }
    const config = path.join(dir, 'pgbackrest.conf');
    writeFileSync(
      config,
      drillConfig(readFileSync(path.join(DEPLOY, 'pgbackrest.conf'), 'utf8'), {
        global: {
          'repo1-type': 'posix',
          'repo1-path': path.join(dir, 'repo'),
          'spool-path': path.join(dir, 'spool'),
          'log-path': path.join(dir, 'log'),
          'lock-path': path.join(dir, 'lock'),
        },
        [STANZA]: { 'pg1-path': dataDir, 'pg1-port': String(port), 'pg1-socket-path': dir },
      }),
    );
    // As in production, the passphrase sits apart from the main file, in conf.d.
    writeFileSync(path.join(dir, 'conf.d', 'cipher.conf'), '[global]\nrepo1-cipher-pass=drill-only-passphrase\n');
    // The server's archive_command (and so archive-push) inherits these.
    env = { PGBACKREST_CONFIG: config, PGBACKREST_CONFIG_INCLUDE_PATH: path.join(dir, 'conf.d') };

    asPostgres(
      pgBin('initdb'),
      ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--locale=C.UTF-8', '--no-sync'],
      env,
    );
    writeFileSync(
      path.join(dataDir, 'postgresql.conf'),
      readFileSync(path.join(dataDir, 'postgresql.conf'), 'utf8') +
        `\n# the drill\nport = ${port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '${dir}'\n` +
        `include '${path.join(dir, 'postgresql-archiving.conf')}'\n`,
    );
    // A copy the postgres user can read wherever the checkout lives (a clone under /root is not).
    writeFileSync(
      path.join(dir, 'postgresql-archiving.conf'),
      readFileSync(path.join(DEPLOY, 'postgresql-archiving.conf'), 'utf8'),
    );
    process.once('exit', stopOnExit);
    start();
  });

  afterAll(() => {
    process.off('exit', stopOnExit);
    try {
      stop('immediate');
    } finally {
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
  });

  it('restores to a moment between two writes and has exactly the rows of that moment', async () => {
    timed('stanza-create', () => pgbackrest('stanza-create'));
    timed('check', () => pgbackrest('check'));
    expect(await query<{ archive_mode: string }>('show archive_mode')).toEqual([{ archive_mode: 'on' }]);

    await query(`create table drill (id int primary key, batch text not null)`);
    await query(`insert into drill select g, 'before-backup' from generate_series(1, 100) g`);
    const backupLog = timed('backup', () => pgbackrest('--type=full', 'backup'));
    expect(backupLog).toMatch(/backup command end: completed successfully/);
    const info = timed('info', () => pgbackrest('--output=json', 'info'));
    const [stanza] = JSON.parse(info) as [{ backup: { info: { size: number; repository: { size: number } } }[] }];
    expect(stanza.backup).toHaveLength(1);
    const sizes = stanza.backup[0]!.info;

    // Written after the backup: only the archived WAL brings these back.
    await query(`insert into drill select g, 'after-backup' from generate_series(101, 200) g`);
    await new Promise((r) => setTimeout(r, 1_100));
    const [{ target }] = (await query<{ target: string }>(`select clock_timestamp()::text as target`)) as [
      { target: string },
    ];
    await new Promise((r) => setTimeout(r, 1_100));
    // The mistake to undo: a destructive change after the target time.
    await query(`delete from drill where id <= 50`);
    await query(`insert into drill select g, 'after-target' from generate_series(201, 300) g`);
    // Push the WAL holding the writes to the repository, as archive_timeout would within a minute.
    const [{ segment }] = (await query<{ segment: string }>(`select pg_walfile_name(pg_switch_wal()) as segment`)) as [
      { segment: string },
    ];
    const archiveStarted = Date.now();
    for (;;) {
      const [row] = await query<{ last: string | null }>(`select last_archived_wal as last from pg_stat_archiver`);
      if (row?.last && row.last >= segment) break;
      if (Date.now() - archiveStarted > 60_000) throw new Error(`WAL ${segment} was not archived within 60 s`);
      await new Promise((r) => setTimeout(r, 200));
    }
    timings['archive the last WAL'] = Date.now() - archiveStarted;

    // The recovery: stop, restore the backup + WAL up to the target, start, promote.
    const restoreStarted = Date.now();
    stop('fast');
    timed('restore', () =>
      pgbackrest('--delta', '--type=time', `--target=${target}`, '--target-action=promote', 'restore'),
    );
    start();
    for (;;) {
      const [row] = await query<{ recovering: boolean }>(`select pg_is_in_recovery() as recovering`);
      if (row && !row.recovering) break;
      if (Date.now() - restoreStarted > 60_000) throw new Error('recovery did not finish within 60 s');
      await new Promise((r) => setTimeout(r, 200));
    }
    timings['stop → restore → recovered and promoted'] = Date.now() - restoreStarted;

    const batches = await query<{ batch: string; rows: string; min: number; max: number }>(
      `select batch, count(*)::text as rows, min(id) as min, max(id) as max from drill group by batch order by batch`,
    );
    expect(batches).toEqual([
      { batch: 'after-backup', rows: '100', min: 101, max: 200 },
      { batch: 'before-backup', rows: '100', min: 1, max: 100 },
    ]);
    // Promoted: the recovered cluster takes writes again.
    await query(`insert into drill values (1000, 'after-recovery')`);

    console.log(
      `PITR drill: cluster ${(sizes.size / 1e6).toFixed(1)} MB, repository ${(sizes.repository.size / 1e6).toFixed(1)} MB; (ms) ` +
        Object.entries(timings)
          .map(([step, ms]) => `${step} ${ms}`)
          .join(', '),
    );
  });
});

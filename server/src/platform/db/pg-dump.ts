import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { DatabaseDumpPort } from '../../modules/backups/ports.js';

/** Where Debian (and the PGDG packages) install each major version's client tools. */
const DEBIAN_POSTGRES_ROOT = '/usr/lib/postgresql';

/**
 * The newest installed copy of a PostgreSQL client tool, else the bare name (found on PATH).
 * Newest first because pg_dump refuses a server newer than itself, and a newer pg_dump reads any
 * older server.
 */
export function findPostgresTool(name: 'pg_dump' | 'pg_restore' | 'psql', root = DEBIAN_POSTGRES_ROOT): string {
  let versions: string[] = [];
  try {
    versions = readdirSync(root).filter((v) => /^\d+$/.test(v));
  } catch {
    // not Debian's layout: PATH it is
  }
  for (const version of versions.sort((a, b) => Number(b) - Number(a))) {
    const candidate = path.join(root, version, 'bin', name);
    if (existsSync(candidate)) return candidate;
  }
  return name;
}

export class PgToolError extends Error {
  constructor(
    readonly tool: string,
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    super(
      `${path.basename(tool)} failed (exit ${exitCode ?? 'signal'}): ${stderr.trim().split('\n').slice(-5).join('\n')}`,
    );
    this.name = 'PgToolError';
  }
}

/**
 * pg_dump / pg_restore against one PostgreSQL database. A password travels in a private passfile
 * (mode 0600, removed after the run), never in the arguments, where `ps` would show it to every
 * user of the machine.
 */
export class PgDumpTool implements DatabaseDumpPort {
  readonly #url: string;
  readonly #connection: { dbname: string; password: string | undefined };
  readonly #pgDump: string;
  readonly #pgRestore: string;

  constructor(url: string, tools: { pgDump?: string; pgRestore?: string } = {}) {
    this.#url = url;
    this.#connection = splitPassword(url);
    this.#pgDump = tools.pgDump ?? findPostgresTool('pg_dump');
    this.#pgRestore = tools.pgRestore ?? findPostgresTool('pg_restore');
  }

  async dump(file: string, signal?: AbortSignal): Promise<void> {
    // Custom format: compressed, and pg_restore can pick, reorder and clean objects from it.
    await this.#withConnection((dbname) =>
      this.#run(this.#pgDump, ['--format=custom', '--compress=6', `--file=${file}`, `--dbname=${dbname}`], signal),
    );
  }

  async listEntries(file: string): Promise<number> {
    const listing = await this.#run(this.#pgRestore, ['--list', file]);
    return listing.split('\n').filter((line) => line.trim() !== '' && !line.startsWith(';')).length;
  }

  async restore(file: string, options: { clean: boolean }): Promise<void> {
    await this.#withConnection((dbname) =>
      this.#run(this.#pgRestore, [
        // All or nothing: a failure halfway leaves the database as it was.
        '--single-transaction',
        '--exit-on-error',
        // Roles are not part of a database dump and may differ on the server restored to: the
        // connecting user owns what is restored; grants are the runbook's step (roles are per server).
        '--no-owner',
        '--no-privileges',
        ...(options.clean ? ['--clean', '--if-exists'] : []),
        `--dbname=${dbname}`,
        file,
      ]),
    );
  }

  async countUserTables(): Promise<number> {
    const client = new pg.Client({ connectionString: this.#url, application_name: 'lectio restore' });
    await client.connect();
    try {
      const result = await client.query<{ n: string }>(
        `select count(*)::text as n from pg_catalog.pg_tables
          where schemaname not in ('pg_catalog', 'information_schema') and schemaname not like 'pg\\_%'`,
      );
      return Number(result.rows[0]?.n ?? 0);
    } finally {
      await client.end();
    }
  }

  /** The connection string for a tool, with a passfile when the URL carries a password. */
  async #withConnection<T>(run: (dbname: string) => Promise<T>): Promise<T> {
    const { dbname, password } = this.#connection;
    if (password === undefined) return run(dbname);
    const dir = await mkdtemp(path.join(os.tmpdir(), 'lectio-pgpass-'));
    try {
      const passfile = path.join(dir, 'pgpass');
      await writeFile(passfile, pgpassLine(password), { mode: 0o600 });
      const url = new URL(dbname);
      url.searchParams.set('passfile', passfile);
      return await run(url.toString());
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** Runs a tool to completion; resolves with its stdout, rejects with its stderr's tail. */
  #run(tool: string, args: string[], signal?: AbortSignal): Promise<string> {
    return new Promise((resolve, reject) => {
      const child = spawn(tool, args, {
        stdio: ['ignore', 'pipe', 'pipe'],
        signal,
      });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
        // The tail is what explains a failure; a runaway warning stream must not fill memory.
        stderr = (stderr + chunk).slice(-16_384);
      });
      child.once('error', (error: NodeJS.ErrnoException) => {
        reject(
          error.code === 'ENOENT'
            ? new Error(`${tool} was not found: install the PostgreSQL client tools (Debian: postgresql-client)`)
            : error,
        );
      });
      child.once('close', (code) => {
        if (code === 0) resolve(stdout);
        else reject(new PgToolError(tool, code, stderr));
      });
    });
  }
}

/** A .pgpass line matching any server, for this one password (`:` and backslash escaped, as libpq reads them). */
export function pgpassLine(password: string): string {
  return `*:*:*:*:${password.replace(/[\\:]/g, (c) => `\\${c}`)}\n`;
}

/** The URL without its password (for the command line) and the password (for the passfile). */
function splitPassword(url: string): { dbname: string; password: string | undefined } {
  const parsed = new URL(url);
  const password = parsed.password ? decodeURIComponent(parsed.password) : undefined;
  parsed.password = '';
  return { dbname: parsed.toString(), password };
}

/** The one place that picks the dump tool: pg_dump for PostgreSQL; none for the embedded PGlite. */
export function createDatabaseDumper(config: { backend: 'pglite' } | { backend: 'postgres'; url: string }) {
  return config.backend === 'postgres' ? new PgDumpTool(config.url) : undefined;
}

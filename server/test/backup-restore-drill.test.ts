import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { BackupService } from '../src/modules/backups/service.js';
import type { DatabasePort } from '../src/platform/db/port.js';
import { PgDumpTool } from '../src/platform/db/pg-dump.js';
import { S3Storage } from '../src/platform/storage/s3.js';
import { startS3rver, S3RVER_CREDENTIALS, type RunningS3rver } from './support/s3rver.js';

/**
 * The restore drill of docs/runbooks/disaster-recovery.md, through the real CLI, pg_dump and
 * pg_restore: seed → `lectio backup` (into the backups bucket on a local S3) → lose the database →
 * `lectio restore` → every table's row count and checksum, and every sequence, as before. Runs on a
 * database this test creates on the test server and drops at the end; nothing else is touched.
 */

const ROOT = path.resolve(import.meta.dirname, '../..');
const CLI = path.join(ROOT, 'server/bin/lectio.js');

interface Snapshot {
  tables: Record<string, { rows: number; checksum: string }>;
  sequences: Record<string, string | null>;
}

/** Row count and an order-independent checksum (md5 over the sorted row texts) of every table. */
async function snapshot(url: string): Promise<Snapshot> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const tables = await client.query<{ schemaname: string; tablename: string }>(
      `select schemaname, tablename from pg_catalog.pg_tables
        where schemaname not in ('pg_catalog', 'information_schema') order by 1, 2`,
    );
    const result: Snapshot = { tables: {}, sequences: {} };
    for (const { schemaname, tablename } of tables.rows) {
      const name = `${client.escapeIdentifier(schemaname)}.${client.escapeIdentifier(tablename)}`;
      const { rows } = await client.query<{ rows: string; checksum: string | null }>(
        `select count(*)::text as rows, md5(coalesce(string_agg(t::text, E'\\n' order by t::text), '')) as checksum
           from ${name} t`,
      );
      result.tables[`${schemaname}.${tablename}`] = { rows: Number(rows[0]!.rows), checksum: rows[0]!.checksum ?? '' };
    }
    const sequences = await client.query<{ name: string; last_value: string | null }>(
      `select schemaname || '.' || sequencename as name, last_value::text from pg_catalog.pg_sequences order by 1`,
    );
    for (const s of sequences.rows) result.sequences[s.name] = s.last_value;
    return result;
  } finally {
    await client.end();
  }
}

async function admin<T>(run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: inject('databaseUrl') });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

describe('lectio backup / restore [embedded]', () => {
  it('refuses the embedded database at once, saying what to do instead', () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'lectio-drill-embedded-'));
    try {
      for (const args of [['backup'], ['restore', 'latest']]) {
        const result = spawnSync(process.execPath, [CLI, ...args], {
          cwd: ROOT,
          env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_NO_WARNINGS: '1', LECTIO_DATA_DIR: dataDir },
          encoding: 'utf8',
          timeout: 60_000,
        });
        expect(result.status).toBe(1);
        expect(result.stderr).toMatch(/embedded database \(PGlite\) has no pg_dump.*copy its data directory/s);
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('restore drill: seed → backup → wipe → restore [postgres + S3]', { timeout: 180_000 }, () => {
  const name = `lectio_drill_${randomBytes(6).toString('hex')}`;
  let url: string;
  let s3: RunningS3rver;
  let dataDir: string;
  let env: NodeJS.ProcessEnv;
  const timings: Record<string, number> = {};

  function lectio(args: string[]) {
    const started = Date.now();
    const result = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, env, encoding: 'utf8', timeout: 120_000 });
    timings[args.join(' ')] = Date.now() - started;
    return result;
  }

  beforeAll(async () => {
    await admin((c) => c.query(`create database ${name}`));
    const u = new URL(inject('databaseUrl'));
    u.pathname = `/${name}`;
    url = u.toString();
    s3 = await startS3rver();
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'lectio-drill-'));
    env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      TMPDIR: dataDir,
      LOG_LEVEL: 'warn',
      // The AWS SDK warns about Node 20 on every start; stderr must show only real problems.
      NODE_NO_WARNINGS: '1',
      LECTIO_DATA_DIR: dataDir,
      DATABASE_URL: url,
      STORAGE_BACKEND: 's3',
      S3_ENDPOINT: s3.endpoint,
      S3_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
      S3_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
      S3_BUCKET_PREFIX: `drill-${randomBytes(3).toString('hex')}-`,
      SEED_DEMO_VIDEO: 'false',
    };
  });

  afterAll(async () => {
    await admin((c) => c.query(`drop database if exists ${name} with (force)`)).catch(() => undefined);
    await s3?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('gets every table and sequence back, and refuses to write over a used database unless --clean', async () => {
    const seeded = lectio(['seed']);
    console.log(`restore drill: seed ${timings.seed} ms`);
    expect(seeded.stderr).toBe('');
    expect(seeded.status).toBe(0);
    const before = await snapshot(url);
    const filled = Object.entries(before.tables).filter(([, t]) => t.rows > 0);
    // The demo data fills users, courses, lessons, search documents, migrations and more.
    expect(filled.length).toBeGreaterThanOrEqual(8);
    expect(before.tables['drizzle.__drizzle_migrations']!.rows).toBeGreaterThan(0);

    const backedUp = lectio(['backup', '--kind', 'daily']);
    expect(backedUp.stderr).toBe('');
    expect(backedUp.status).toBe(0);
    const [, key, bytes] = /Stored (postgres\/daily\/\S+\.dump) \((\d+) bytes/.exec(backedUp.stdout) ?? [];
    expect(key).toBeDefined();

    // The rest of the drill talks to the same bucket and database in-process (each CLI start costs
    // seconds on a busy machine); the adapters and pg_restore are the same.
    const storage = new S3Storage(
      {
        backend: 's3',
        endpoint: s3.endpoint,
        region: 'us-east-1',
        ...S3RVER_CREDENTIALS,
        forcePathStyle: true,
        bucketPrefix: env.S3_BUCKET_PREFIX!,
      },
      // Listing and reading never touch the multipart ledger's database.
      { database: {} as DatabasePort },
    );
    const backups = new BackupService(new PgDumpTool(url), storage, { retentionDays: 30, workDir: dataDir });
    expect((await backups.list()).map((b) => [b.key, b.kind])).toEqual([[key, 'daily']]);

    // The disaster: the database is gone. A new, empty one takes its name.
    await admin(async (c) => {
      await c.query(`drop database ${name} with (force)`);
      await c.query(`create database ${name}`);
    });
    expect(Object.keys((await snapshot(url)).tables)).toEqual([]);

    const restored = lectio(['restore', key!]);
    expect(restored.stderr).toBe('');
    expect(restored.status).toBe(0);
    expect(restored.stdout).toContain(`Restored ${key}`);
    expect(await snapshot(url)).toEqual(before);

    // A damaged database: rows lost and changed. A plain restore refuses to write over it…
    const damage = new pg.Client({ connectionString: url });
    await damage.connect();
    await damage.query(
      `delete from drizzle.__drizzle_migrations where id = (select max(id) from drizzle.__drizzle_migrations)`,
    );
    await damage.query(`update users set display_name = 'tampered'`);
    await damage.end();
    expect(await snapshot(url)).not.toEqual(before);
    await expect(backups.restore(key!)).rejects.toMatchObject({ code: 'database_not_empty' });

    // …and --clean replaces it with the backup.
    const cleanStarted = Date.now();
    await backups.restore(key!, { clean: true });
    timings['restore --clean'] = Date.now() - cleanStarted;
    expect(await snapshot(url)).toEqual(before);
    await storage.close();

    // Measured numbers for the runbook (wall time of each CLI run, process start included).
    console.log(
      `restore drill: ${Object.keys(before.tables).length} tables, ${filled.length} with rows, dump ${bytes} bytes; ` +
        `backup ${timings['backup --kind daily']} ms, restore into an empty database ${timings[`restore ${key}`]} ms, ` +
        `restore --clean (in-process) ${timings['restore --clean']} ms`,
    );
  });
});

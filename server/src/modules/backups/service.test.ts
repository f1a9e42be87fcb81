import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalStorage } from '../../platform/storage/local.js';
import type { JobContext } from '../../platform/queue/port.js';
import { backupJobHandlers, runBackupJob } from './jobs.js';
import type { DatabaseDumpPort } from './ports.js';
import {
  BackupRefusedError,
  BackupService,
  backupKey,
  backupKindFor,
  lastBackupSuccess,
  parseBackupKey,
} from './service.js';

/** Stands in for pg_dump/pg_restore (the restore drill runs the real ones): a dump is a text file. */
class FakeDumper implements DatabaseDumpPort {
  tables = 0;
  failDump = false;
  restored: { content: string; clean: boolean }[] = [];
  async dump(file: string): Promise<void> {
    await writeFile(file, 'PGDMP partial');
    if (this.failDump) throw new Error('pg_dump: connection lost');
    await writeFile(file, 'PGDMP dump of the database');
  }
  async listEntries(file: string): Promise<number> {
    if (!(await readFile(file, 'utf8')).startsWith('PGDMP')) throw new Error('not a dump');
    return 42;
  }
  async restore(file: string, options: { clean: boolean }): Promise<void> {
    this.restored.push({ content: await readFile(file, 'utf8'), clean: options.clean });
  }
  async countUserTables(): Promise<number> {
    return this.tables;
  }
}

const DAY = 86_400_000;
const context: JobContext = {
  jobId: '1',
  attempt: 1,
  signal: new AbortController().signal,
  reportProgress: async () => {},
};

describe('database backups', () => {
  let root: string;
  let work: string;
  let storage: LocalStorage;
  let dumper: FakeDumper;
  let now: Date;
  /** null: the embedded database (no dump tool). */
  const service = (d: DatabaseDumpPort | null = dumper) =>
    new BackupService(d ?? undefined, storage, { retentionDays: 30, workDir: work, now: () => now });

  beforeEach(() => {
    root = mkdtempSync(path.join(os.tmpdir(), 'lectio-backup-store-'));
    work = mkdtempSync(path.join(os.tmpdir(), 'lectio-backup-work-'));
    storage = new LocalStorage({ root, publicUrl: 'http://127.0.0.1:3000', signingSecret: 'x'.repeat(32) });
    dumper = new FakeDumper();
    now = new Date('2026-11-25T03:00:00.000Z'); // a Wednesday
  });
  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  });

  it("makes Sunday's (UTC) backup the weekly full and every other day's a daily", () => {
    expect(backupKindFor(new Date('2026-11-29T03:00:00Z'))).toBe('weekly'); // Sunday
    expect(backupKindFor(new Date('2026-11-29T23:59:59Z'))).toBe('weekly');
    expect(backupKindFor(new Date('2026-11-30T00:00:00Z'))).toBe('daily'); // Monday
    expect(backupKindFor(new Date('2026-11-28T03:00:00Z'))).toBe('daily'); // Saturday
    expect(runBackupJob.repeat?.cron).toBe('0 3 * * *');
  });

  it('names backups postgres/<kind>/<ISO time>.dump and reads only such keys back', () => {
    const at = new Date('2026-11-29T03:00:00.123Z');
    expect(backupKey('weekly', at)).toBe('postgres/weekly/2026-11-29T03:00:00.123Z.dump');
    expect(parseBackupKey(backupKey('weekly', at))).toEqual({ kind: 'weekly', takenAt: at });
    for (const junk of [
      'postgres/monthly/2026-11-29T03:00:00.123Z.dump',
      'postgres/daily/2026-11-29.dump',
      'postgres/daily/2026-13-29T03:00:00.123Z.dump',
      'postgres/daily/2026-11-29T03:00:00.123Z.dump.tmp',
      '../postgres/daily/2026-11-29T03:00:00.123Z.dump',
    ]) {
      expect(parseBackupKey(junk)).toBeUndefined();
    }
  });

  it('uploads a read-back dump, leaves no scratch file, and reports the last success per kind', async () => {
    expect(await lastBackupSuccess(storage)).toEqual([]);
    const result = await service().backup();
    expect(result).toMatchObject({
      key: 'postgres/daily/2026-11-25T03:00:00.000Z.dump',
      kind: 'daily',
      entries: 42,
      pruned: [],
    });
    const body = await storage.getObject('backups', result.key);
    const chunks: Buffer[] = [];
    for await (const chunk of body) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('PGDMP dump of the database');
    expect(result.size).toBe('PGDMP dump of the database'.length);
    expect(readdirSync(work)).toEqual([]);

    now = new Date('2026-11-29T03:00:00.000Z');
    await service().backup();
    now = new Date('2026-11-30T03:00:00.000Z');
    await service().backup();
    expect(await lastBackupSuccess(storage)).toEqual(
      expect.arrayContaining([
        { kind: 'daily', at: new Date('2026-11-30T03:00:00.000Z') },
        { kind: 'weekly', at: new Date('2026-11-29T03:00:00.000Z') },
      ]),
    );
  });

  it('stores nothing when the dump fails, so a listed backup is always a complete one', async () => {
    dumper.failDump = true;
    await expect(service().backup()).rejects.toThrow(/connection lost/);
    expect((await storage.list('backups', 'postgres/')).objects).toEqual([]);
    expect(await lastBackupSuccess(storage)).toEqual([]);
    expect(readdirSync(work)).toEqual([]);
  });

  it('prunes past the retention but always keeps the newest backup of each kind', async () => {
    const put = (kind: 'daily' | 'weekly', daysAgo: number) =>
      storage.putObject('backups', backupKey(kind, new Date(now.getTime() - daysAgo * DAY)), Buffer.from('PGDMP'));
    await put('daily', 45);
    await put('daily', 31);
    await put('daily', 29);
    await put('weekly', 60);
    await put('weekly', 39); // older than 30 days, but the only weekly there is besides one older still
    await storage.putObject('backups', 'postgres/notes.txt', Buffer.from('kept: not a backup'));

    const pruned = await service().prune();
    expect(pruned.sort()).toEqual(
      [
        backupKey('daily', new Date(now.getTime() - 45 * DAY)),
        backupKey('daily', new Date(now.getTime() - 31 * DAY)),
        backupKey('weekly', new Date(now.getTime() - 60 * DAY)),
      ].sort(),
    );
    const left = (await storage.list('backups', 'postgres/')).objects.map((o) => o.key);
    expect(left.sort()).toEqual(
      [
        backupKey('daily', new Date(now.getTime() - 29 * DAY)),
        backupKey('weekly', new Date(now.getTime() - 39 * DAY)),
        'postgres/notes.txt',
      ].sort(),
    );

    // A fresh backup makes the old weekly prunable only once a newer weekly exists.
    now = new Date('2026-11-29T03:00:00.000Z');
    const result = await service().backup();
    expect(result.kind).toBe('weekly');
    expect(result.pruned).toEqual([
      backupKey('weekly', new Date(new Date('2026-11-25T03:00:00.000Z').getTime() - 39 * DAY)),
    ]);
  });

  it('restores into an empty database, and over a used one only when told to clean', async () => {
    const { key } = await service().backup();
    dumper.tables = 12;
    const refused = await service()
      .restore(key)
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(BackupRefusedError);
    expect((refused as BackupRefusedError).code).toBe('database_not_empty');
    expect(dumper.restored).toEqual([]);

    await expect(service().restore(key, { clean: true })).resolves.toMatchObject({ entries: 42 });
    dumper.tables = 0;
    await service().restore(key);
    expect(dumper.restored).toEqual([
      { content: 'PGDMP dump of the database', clean: true },
      { content: 'PGDMP dump of the database', clean: false },
    ]);
    expect(readdirSync(work)).toEqual([]);

    await expect(service().restore('postgres/daily/2020-01-01T00:00:00.000Z.dump')).rejects.toMatchObject({
      code: 'unknown_backup',
    });
    await expect(service().restore('videos/x.mp4')).rejects.toMatchObject({ code: 'not_a_backup' });
  });

  it('refuses on the embedded database with a message saying what to do; the scheduled job skips', async () => {
    const embedded = service(null);
    expect(embedded.supported).toBe(false);
    await expect(embedded.backup()).rejects.toThrow(/copy its data directory \(LECTIO_DATA_DIR\)/);
    await expect(embedded.restore('postgres/daily/2026-11-25T03:00:00.000Z.dump')).rejects.toMatchObject({
      code: 'embedded_database',
    });
    const logged: string[] = [];
    const [registration] = backupJobHandlers({
      backups: embedded,
      logger: { info: (_d, message) => logged.push(message) },
    });
    await registration!.handle({}, context);
    expect(logged).toEqual([expect.stringMatching(/skipped: the embedded database/)]);
  });

  it('the scheduled job stores a backup and logs where', async () => {
    const logged: { details: Record<string, unknown>; message: string }[] = [];
    const [registration] = backupJobHandlers({
      backups: service(),
      logger: { info: (details, message) => logged.push({ details, message }) },
    });
    await registration!.handle({}, context);
    expect(logged).toEqual([
      {
        message: 'database backup stored',
        details: expect.objectContaining({ key: 'postgres/daily/2026-11-25T03:00:00.000Z.dump', kind: 'daily' }),
      },
    ]);
  });
});

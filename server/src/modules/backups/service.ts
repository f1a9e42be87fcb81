import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { ObjectInfo, StoragePort } from '../../platform/storage/port.js';
import type { DatabaseDumpPort } from './ports.js';

/**
 * Logical backups of the PostgreSQL database into the `backups` bucket, under
 * `postgres/<daily|weekly>/<ISO timestamp>.dump`. Every backup is a complete pg_dump; the weekly
 * one (Sunday, UTC) is the full that is kept apart, so the newest weekly survives any pruning of
 * dailies. Point-in-time recovery between dumps is pgBackRest's job (deploy/pgbackrest/).
 */

export const BACKUP_KINDS = ['daily', 'weekly'] as const;
export type BackupKind = (typeof BACKUP_KINDS)[number];

export const BACKUP_BUCKET = 'backups' as const;
export const BACKUP_PREFIX = 'postgres/';
const DUMP_SUFFIX = '.dump';
const DAY_MS = 86_400_000;

export interface BackupInfo {
  key: string;
  kind: BackupKind;
  /** When the dump was taken (from the key, so copies and re-uploads keep it). */
  takenAt: Date;
  size: number;
}

export interface BackupResult extends BackupInfo {
  durationMs: number;
  /** Entries in the dump's table of contents, read back before the upload. */
  entries: number;
  /** Older backups the retention pass removed. */
  pruned: string[];
}

/** Sunday's (UTC) scheduled backup is the weekly full; every other day's is a daily. */
export function backupKindFor(date: Date): BackupKind {
  return date.getUTCDay() === 0 ? 'weekly' : 'daily';
}

export function backupKey(kind: BackupKind, takenAt: Date): string {
  return `${BACKUP_PREFIX}${kind}/${takenAt.toISOString()}${DUMP_SUFFIX}`;
}

/** The backup a key names, or undefined for anything else stored under the prefix. */
export function parseBackupKey(key: string): { kind: BackupKind; takenAt: Date } | undefined {
  const match = /^postgres\/(daily|weekly)\/(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)\.dump$/.exec(key);
  if (!match) return undefined;
  const takenAt = new Date(match[2]!);
  if (Number.isNaN(takenAt.getTime()) || takenAt.toISOString() !== match[2]) return undefined;
  return { kind: match[1] as BackupKind, takenAt };
}

export class BackupRefusedError extends Error {
  constructor(
    readonly code: 'embedded_database' | 'database_not_empty' | 'unknown_backup' | 'not_a_backup',
    message: string,
  ) {
    super(message);
    this.name = 'BackupRefusedError';
  }
}

export const EMBEDDED_BACKUP_MESSAGE =
  'The embedded database (PGlite) has no pg_dump: `lectio backup` and `lectio restore` work on PostgreSQL ' +
  '(DATABASE_URL). To back up an embedded install, stop Lectio and copy its data directory (LECTIO_DATA_DIR).';

export type BackupStorage = Pick<StoragePort, 'putObject' | 'getObject' | 'headObject' | 'deleteObject' | 'list'>;

export interface BackupServiceOptions {
  retentionDays: number;
  /** Scratch space for the dump file between pg_dump and the upload (default: the OS temp dir). */
  workDir?: string;
  now?: () => Date;
}

export class BackupService {
  readonly #dumper: DatabaseDumpPort | undefined;
  readonly #storage: BackupStorage;
  readonly #retentionDays: number;
  readonly #workDir: string;
  readonly #now: () => Date;

  /** `dumper` undefined: the embedded database, which every operation refuses with a clear message. */
  constructor(dumper: DatabaseDumpPort | undefined, storage: BackupStorage, options: BackupServiceOptions) {
    this.#dumper = dumper;
    this.#storage = storage;
    this.#retentionDays = options.retentionDays;
    this.#workDir = options.workDir ?? os.tmpdir();
    this.#now = options.now ?? (() => new Date());
  }

  get supported(): boolean {
    return this.#dumper !== undefined;
  }

  /**
   * Dumps the database to a scratch file, reads the dump back (pg_restore --list) and only then
   * uploads it, so an object under the backup prefix is always a complete, readable dump. Then
   * prunes what retention no longer keeps.
   */
  async backup(options: { kind?: BackupKind; signal?: AbortSignal } = {}): Promise<BackupResult> {
    const dumper = this.#requireDumper();
    const takenAt = this.#now();
    const kind = options.kind ?? backupKindFor(takenAt);
    const key = backupKey(kind, takenAt);
    const started = Date.now();
    const scratch = await mkdtemp(path.join(this.#workDir, 'lectio-backup-'));
    try {
      const file = path.join(scratch, 'database.dump');
      await dumper.dump(file, options.signal);
      const entries = await dumper.listEntries(file);
      const { size } = await stat(file);
      await this.#storage.putObject(BACKUP_BUCKET, key, createReadStream(file), {
        contentType: 'application/octet-stream',
      });
      const pruned = await this.prune();
      return { key, kind, takenAt, size, entries, durationMs: Date.now() - started, pruned };
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }

  /**
   * Loads a backup into the configured database. A database that already has tables is refused
   * unless `clean` (drop the dump's objects first): restoring over live data must be asked for.
   */
  async restore(key: string, options: { clean?: boolean } = {}): Promise<{ durationMs: number; entries: number }> {
    const dumper = this.#requireDumper();
    if (!parseBackupKey(key)) {
      throw new BackupRefusedError(
        'not_a_backup',
        `${JSON.stringify(key)} is not a backup key (postgres/<daily|weekly>/<ISO time>.dump); \`lectio backups\` lists them`,
      );
    }
    if (!(await this.#storage.headObject(BACKUP_BUCKET, key))) {
      throw new BackupRefusedError('unknown_backup', `No backup ${JSON.stringify(key)} in the backups bucket`);
    }
    const clean = options.clean ?? false;
    if (!clean) {
      const tables = await dumper.countUserTables();
      if (tables > 0) {
        throw new BackupRefusedError(
          'database_not_empty',
          `The database already has ${tables} table(s). Restore into an empty database, or pass --clean to drop ` +
            `and replace the backed-up objects (all their current data is lost).`,
        );
      }
    }
    const started = Date.now();
    const scratch = await mkdtemp(path.join(this.#workDir, 'lectio-restore-'));
    try {
      const file = path.join(scratch, 'database.dump');
      // pg_restore reads a seekable file: a custom-format dump from a pipe may need to seek back.
      await pipeline(await this.#storage.getObject(BACKUP_BUCKET, key), createWriteStream(file));
      const entries = await dumper.listEntries(file);
      await dumper.restore(file, { clean });
      return { durationMs: Date.now() - started, entries };
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }

  /** Every backup in the bucket, oldest first. */
  async list(): Promise<BackupInfo[]> {
    return listBackups(this.#storage);
  }

  /**
   * Deletes backups older than the retention, except the newest of each kind: if backups have
   * been failing for longer than the retention, the last good one is all there is. The bucket's
   * lifecycle rule (90 days) removes even those eventually.
   */
  async prune(): Promise<string[]> {
    const cutoff = this.#now().getTime() - this.#retentionDays * DAY_MS;
    const backups = await this.list();
    const newest = new Map<BackupKind, string>();
    for (const b of backups) newest.set(b.kind, b.key);
    const expired = backups.filter((b) => b.takenAt.getTime() < cutoff && newest.get(b.kind) !== b.key);
    for (const b of expired) await this.#storage.deleteObject(BACKUP_BUCKET, b.key);
    return expired.map((b) => b.key);
  }

  #requireDumper(): DatabaseDumpPort {
    if (!this.#dumper) throw new BackupRefusedError('embedded_database', EMBEDDED_BACKUP_MESSAGE);
    return this.#dumper;
  }
}

/** Every backup under the prefix, oldest first (by the time in the key, not the listing's order). */
export async function listBackups(storage: Pick<StoragePort, 'list'>): Promise<BackupInfo[]> {
  const found: BackupInfo[] = [];
  let cursor: string | undefined;
  do {
    const page: { objects: ObjectInfo[]; cursor: string | undefined } = await storage.list(
      BACKUP_BUCKET,
      BACKUP_PREFIX,
      { cursor },
    );
    for (const object of page.objects) {
      const parsed = parseBackupKey(object.key);
      if (parsed) found.push({ key: object.key, size: object.size, ...parsed });
    }
    cursor = page.cursor;
  } while (cursor);
  return found.sort((a, b) => a.takenAt.getTime() - b.takenAt.getTime());
}

/**
 * When each kind of backup last succeeded (a kind never backed up is left out), read from the
 * bucket so any process (the API's /metrics, not only the worker that ran the backup) reports the
 * truth. For `lectio_backup_last_success_timestamp_seconds{kind}` (Metrics caches it per scrape).
 * Only complete, read-back dumps are ever uploaded (BackupService.backup), so every backup listed
 * is a successful one.
 */
export async function lastBackupSuccess(storage: Pick<StoragePort, 'list'>): Promise<{ kind: BackupKind; at: Date }[]> {
  const newest = new Map<BackupKind, Date>();
  for (const b of await listBackups(storage)) newest.set(b.kind, b.takenAt);
  return [...newest].map(([kind, at]) => ({ kind, at }));
}

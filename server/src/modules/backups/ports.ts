/**
 * What the backup service needs from the database's own tools. The PostgreSQL adapter runs
 * pg_dump / pg_restore (`platform/db/pg-dump.ts`); the embedded PGlite has none (see service.ts).
 */
export interface DatabaseDumpPort {
  /** Writes a complete dump (PostgreSQL custom format) of the whole database to `file`; rejects on any failure. */
  dump(file: string, signal?: AbortSignal): Promise<void>;
  /** Reads a dump's table of contents: how many entries it holds. Rejects when the file is not a readable dump. */
  listEntries(file: string): Promise<number>;
  /**
   * Loads a dump into the database in one transaction, so a failed restore leaves the database as
   * it was. `clean` drops the dump's objects first (restoring over a damaged database).
   */
  restore(file: string, options: { clean: boolean }): Promise<void>;
  /** Tables outside the system schemas: a restore refuses a database in use unless told to clean. */
  countUserTables(): Promise<number>;
}

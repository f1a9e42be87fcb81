import { open, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';

const HALF_WRITTEN_GRACE_MS = 5_000;

async function ageMs(file: string): Promise<number> {
  try {
    return Date.now() - (await stat(file)).mtimeMs;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

export interface DataDirLock {
  release(): Promise<void>;
}

export class DataDirBusyError extends Error {
  constructor(
    readonly dataDir: string,
    readonly holder: { pid: number; purpose: string },
  ) {
    super(
      `The embedded database in ${dataDir} is in use by another Lectio process ` +
        `(pid ${holder.pid}, ${holder.purpose}). PGlite allows one process per data directory: ` +
        `stop that process first (or point this command at PostgreSQL with DATABASE_URL).`,
    );
    this.name = 'DataDirBusyError';
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM means the process exists but belongs to someone else: still alive.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * An exclusive lock on a data directory: a file created with O_EXCL holding the owner's pid.
 * A pid-file rather than an mtime-based lock (proper-lockfile) because a server killed with
 * SIGKILL must be restartable at once; a dead owner's lock is taken over on the spot.
 */
export async function acquireDataDirLock(dataDir: string, purpose: string): Promise<DataDirLock> {
  const lockPath = path.join(dataDir, 'lectio.lock');
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = await open(lockPath, 'wx');
      await handle.writeFile(JSON.stringify({ pid: process.pid, purpose }));
      await handle.close();
      let released = false;
      return {
        async release() {
          if (released) return;
          released = true;
          await rm(lockPath, { force: true });
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = await readHolder(lockPath);
      if (holder && (holder.pid === process.pid || isAlive(holder.pid))) {
        throw new DataDirBusyError(dataDir, holder);
      }
      if (!holder && (await ageMs(lockPath)) < HALF_WRITTEN_GRACE_MS) {
        // Another process created the file an instant ago and is writing its pid into it now.
        throw new DataDirBusyError(dataDir, { pid: 0, purpose: 'starting up' });
      }
      // The owner died without cleaning up: the directory is free.
      await rm(lockPath, { force: true });
    }
  }
  throw new Error(`Could not lock ${dataDir}: another process keeps taking it`);
}

async function readHolder(lockPath: string): Promise<{ pid: number; purpose: string } | undefined> {
  try {
    const parsed = JSON.parse(await readFile(lockPath, 'utf8')) as { pid?: unknown; purpose?: unknown };
    if (typeof parsed.pid === 'number') return { pid: parsed.pid, purpose: String(parsed.purpose ?? 'unknown') };
  } catch {
    // A half-written lock file: its writer died between create and write.
  }
  return undefined;
}

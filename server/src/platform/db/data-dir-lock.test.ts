import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { acquireDataDirLock, DataDirBusyError } from './data-dir-lock.js';

describe('data directory lock', () => {
  const dirs: string[] = [];
  const tempDir = () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'lectio-lock-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a second holder, naming the first, and frees the directory on release', async () => {
    const dir = tempDir();
    const lock = await acquireDataDirLock(dir, 'lectio serve');
    const second = acquireDataDirLock(dir, 'lectio migrate');
    await expect(second).rejects.toThrow(DataDirBusyError);
    await expect(second).rejects.toThrow(`pid ${process.pid}, lectio serve`);
    await lock.release();
    const again = await acquireDataDirLock(dir, 'lectio migrate');
    await again.release();
  });

  it('takes over the lock of a process that died without releasing it', async () => {
    const dir = tempDir();
    const child = spawn(process.execPath, ['-e', '']);
    const deadPid = child.pid!;
    await new Promise((resolve) => child.once('exit', resolve));
    writeFileSync(path.join(dir, 'lectio.lock'), JSON.stringify({ pid: deadPid, purpose: 'killed server' }));
    const lock = await acquireDataDirLock(dir, 'lectio serve');
    await lock.release();
  });

  it('treats a lock file still being written as busy', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'lectio.lock'), '');
    await expect(acquireDataDirLock(dir, 'lectio serve')).rejects.toThrow(DataDirBusyError);
  });
});

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createDatabaseDumper, findPostgresTool, pgpassLine, PgDumpTool } from './pg-dump.js';

describe('pg_dump adapter', () => {
  it('escapes a password for the passfile as libpq reads it', () => {
    expect(pgpassLine('plain')).toBe('*:*:*:*:plain\n');
    expect(pgpassLine('a:b\\c')).toBe('*:*:*:*:a\\:b\\\\c\n');
  });

  it('takes the newest installed major version, else the bare name for PATH', () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'lectio-pgroot-'));
    try {
      for (const version of ['9', '15', '16']) {
        mkdirSync(path.join(root, version, 'bin'), { recursive: true });
        if (version !== '16') writeFileSync(path.join(root, version, 'bin', 'pg_dump'), '');
      }
      // 16 has no pg_dump (a server-only install): 15 is the newest that has one.
      expect(findPostgresTool('pg_dump', root)).toBe(path.join(root, '15', 'bin', 'pg_dump'));
      expect(findPostgresTool('pg_restore', root)).toBe('pg_restore');
      expect(findPostgresTool('pg_dump', path.join(root, 'missing'))).toBe('pg_dump');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('is made for PostgreSQL only; a missing tool says what to install', async () => {
    expect(createDatabaseDumper({ backend: 'pglite' })).toBeUndefined();
    expect(createDatabaseDumper({ backend: 'postgres', url: 'postgres://u@127.0.0.1/db' })).toBeInstanceOf(PgDumpTool);
    const tool = new PgDumpTool('postgres://u:secret@127.0.0.1:1/db', {
      pgDump: '/nonexistent/pg_dump',
      pgRestore: '/nonexistent/pg_restore',
    });
    await expect(tool.dump(path.join(os.tmpdir(), 'never.dump'))).rejects.toThrow(
      /install the PostgreSQL client tools/,
    );
  });
});

import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from './support/private-services.js';
import { waitUntil } from './support/servers.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const CLI = path.join(ROOT, 'server/bin/lectio.js');

function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'warn' };
  return { ...env, ...extra };
}

function lectio(args: string[], env: Record<string, string>, input?: string) {
  return spawnSync(process.execPath, [CLI, ...args], {
    cwd: ROOT,
    env: cleanEnv(env),
    input,
    encoding: 'utf8',
    timeout: 60_000,
  });
}

// Each command boots PGlite (a few seconds of WebAssembly start-up), so these tests are slow by nature.
describe('lectio CLI [embedded]', { timeout: 240_000 }, () => {
  const dirs: string[] = [];
  const tempDir = () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'lectio-cli-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('stops start-up on a bad variable, naming it', () => {
    const result = lectio(['serve'], { PORT: 'abc', LECTIO_DATA_DIR: tempDir() });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('PORT');
    expect(result.stderr).toContain('"abc"');
  });

  it('migrates, then creates a user with the password from stdin, refusing a duplicate', () => {
    const dataDir = tempDir();
    const migrated = lectio(['migrate'], { LECTIO_DATA_DIR: dataDir });
    expect(migrated.stdout).toMatch(/Applied \d+ migration/);
    expect(lectio(['migrate'], { LECTIO_DATA_DIR: dataDir }).stdout).toContain('up to date');

    const created = lectio(
      ['create-user', '--email', 'teacher@example.com', '--role', 'instructor'],
      { LECTIO_DATA_DIR: dataDir },
      'a long enough password\n',
    );
    expect(created.status).toBe(0);
    expect(created.stdout).toMatch(/Created instructor teacher@example.com/);

    const again = lectio(['create-user', '--email', 'TEACHER@example.com'], {
      LECTIO_DATA_DIR: dataDir,
      LECTIO_PASSWORD: 'another long password',
    });
    expect(again.status).not.toBe(0);
    expect(again.stderr).toContain('already exists');

    const weak = lectio(['create-user', '--email', 'weak@example.com'], { LECTIO_DATA_DIR: dataDir }, 'short\n');
    expect(weak.status).not.toBe(0);
    expect(weak.stderr).toContain('at least 10 characters');

    const badRole = lectio(
      ['create-user', '--email', 'x@example.com', '--role', 'king'],
      { LECTIO_DATA_DIR: dataDir },
      'a long enough password\n',
    );
    expect(badRole.status).not.toBe(0);
    expect(badRole.stderr).toMatch(/role/);
  });

  it('refuses demo data in production', () => {
    const result = lectio(['seed'], {
      LECTIO_DATA_DIR: tempDir(),
      NODE_ENV: 'production',
      APP_SECRET: 's'.repeat(40),
      JWT_SIGNING_KEYS: `k1:${'j'.repeat(40)}`,
      PLAYBACK_SIGNING_KEY: 'k'.repeat(40),
    });
    expect(result.status).not.toBe(0);
    expect(result.stderr + result.stdout).toMatch(/refusing/i);
  });

  it('will not open the embedded database while a running server holds it', async () => {
    const dataDir = tempDir();
    const port = await freePort();
    const server = spawn(process.execPath, [CLI, 'serve'], {
      cwd: ROOT,
      env: cleanEnv({ LECTIO_DATA_DIR: dataDir, PORT: String(port) }),
      stdio: 'ignore',
    });
    try {
      await waitUntil(
        async () => ((await fetch(`http://127.0.0.1:${port}/health/ready`)).ok ? true : undefined),
        'server',
        60_000,
      );
      const result = lectio(['migrate'], { LECTIO_DATA_DIR: dataDir });
      expect(result.status).not.toBe(0);
      expect(result.stderr).toContain(`in use by another Lectio process (pid ${server.pid}`);
      // The server is unharmed.
      expect((await fetch(`http://127.0.0.1:${port}/health/ready`)).status).toBe(200);
    } finally {
      const exited = new Promise((resolve) => server.once('exit', resolve));
      server.kill('SIGTERM');
      await exited;
    }
    // After a clean stop the lock is gone and the CLI works again.
    expect(lectio(['migrate'], { LECTIO_DATA_DIR: dataDir }).stdout).toContain('up to date');
  });
});

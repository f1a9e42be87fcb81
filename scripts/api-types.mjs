#!/usr/bin/env node
// Regenerates web/src/api/schema.d.ts from the live OpenAPI document of a freshly started
// embedded server (or, with --check, fails when the committed file differs).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const check = process.argv.includes('--check');
const port = await new Promise((resolve) => {
  const srv = net.createServer().listen(0, '127.0.0.1', () => {
    const { port: p } = srv.address();
    srv.close(() => resolve(p));
  });
});
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'lectio-api-types-'));
const server = spawn(process.execPath, ['server/bin/lectio.js', 'serve', '--api'], {
  env: { PATH: process.env.PATH, PORT: String(port), LECTIO_DATA_DIR: dataDir, LOG_LEVEL: 'warn' },
  stdio: ['ignore', 'ignore', 'inherit'],
});
const url = `http://127.0.0.1:${port}/openapi.json`;
let status = 1;
try {
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (Date.now() > deadline) throw new Error('the server did not start within 60 s');
    const ok = await fetch(url).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  status =
    spawnSync(process.execPath, ['web/scripts/gen-api.mjs', ...(check ? ['--check'] : []), '--from', url], {
      stdio: 'inherit',
    }).status ?? 1;
} finally {
  server.kill('SIGTERM');
  await new Promise((r) => server.once('exit', r));
  rmSync(dataDir, { recursive: true, force: true });
}
process.exit(status);

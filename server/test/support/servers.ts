import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { loadConfig } from '../../src/config.js';
import type { Services } from '../../src/container.js';
import type { DatabasePort } from '../../src/platform/db/port.js';
import { serve, type RunningServer } from '../../src/main/serve.js';
import type { Logger } from '../../src/platform/telemetry/logger.js';
import { freePort } from './private-services.js';

interface ServerOptions {
  logger?: Logger;
  shutdownReportMs?: number;
}

export interface TestServer {
  url: string;
  services: Services;
  /** The server's own database connection (the embedded one is locked to this process). */
  database: DatabasePort;
  dataDir: string;
  stop(): Promise<void>;
}

/**
 * Starts Lectio in this process (API + worker) on a free loopback port with a temporary data
 * directory. `env` switches backends exactly as the environment would in production.
 */
export async function startTestServer(
  env: Record<string, string> = {},
  mode = { api: true, worker: true },
  /**
   * A logger of the test's own, to read what the server writes (logs are silent otherwise), and
   * how often a slow stop reports what it waits for.
   */
  options: ServerOptions = {},
): Promise<TestServer> {
  // Another test can still bind the port between freePort() and serve(): try a fresh one.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(env, mode, options);
    } catch (error) {
      if (attempt >= 3 || (error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    }
  }
}

async function startOnce(
  env: Record<string, string>,
  mode: { api: boolean; worker: boolean },
  options: ServerOptions,
): Promise<TestServer> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'lectio-data-'));
  const port = await freePort();
  const config = loadConfig({
    PORT: String(port),
    HOST: '127.0.0.1',
    LECTIO_DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    REDIS_PREFIX: `t${randomBytes(4).toString('hex')}`,
    // Transcoding the demo lecture costs CPU every seeded start; the tests that watch it opt in.
    SEED_DEMO_VIDEO: 'false',
    ...env,
  });
  let server: RunningServer;
  try {
    server = await serve(config, { ...mode, ...options });
  } catch (error) {
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  return {
    url: config.http.publicUrl,
    services: server.services,
    database: server.database,
    dataDir,
    async stop() {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function waitUntil<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

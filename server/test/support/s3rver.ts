import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';

/** s3rver's built-in account. Not a real credential: s3rver knows only this dummy key pair. */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

export interface RunningS3rver {
  /** http://127.0.0.1:<port>, for a path-style client. */
  endpoint: string;
  stop(): Promise<void>;
}

const READY = 'S3RVER_READY ';
const START_TIMEOUT_MS = 15_000;

/**
 * s3rver 3.7.1 encrypts ListObjectsV2 continuation tokens with DES, which OpenSSL 3 (Node >= 17)
 * only offers through its legacy provider; in-process, every truncated listing fails with
 * InternalError. So s3rver runs in a child Node with --openssl-legacy-provider, which also keeps
 * its logger and globals out of the test process.
 */
const CHILD_SCRIPT = `
const [modulePath, directory] = process.argv.slice(1);
const S3rver = require(modulePath);
new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, vhostBuckets: false })
  .run()
  .then(({ port }) => process.stdout.write(${JSON.stringify(READY)} + port + '\\n'))
  .catch((error) => { console.error(error); process.exit(1); });
process.on('SIGTERM', () => process.exit(0));
`;

/** An S3 stand-in on a free loopback port, its data in a temp folder that stop() removes. */
export async function startS3rver(): Promise<RunningS3rver> {
  const directory = await mkdtemp(path.join(os.tmpdir(), 'lectio-s3rver-'));
  const modulePath = createRequire(import.meta.url).resolve('s3rver');
  const legacyProvider = process.allowedNodeEnvironmentFlags.has('--openssl-legacy-provider')
    ? ['--openssl-legacy-provider']
    : [];
  const child = spawn(process.execPath, [...legacyProvider, '-e', CHILD_SCRIPT, modulePath, directory], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  try {
    const port = await waitForPort(child);
    return {
      endpoint: `http://127.0.0.1:${port}`,
      async stop() {
        await stopChild(child);
        await rm(directory, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await stopChild(child);
    await rm(directory, { recursive: true, force: true });
    throw error;
  }
}

function waitForPort(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(
      () => reject(new Error(`s3rver did not start within ${START_TIMEOUT_MS} ms`)),
      START_TIMEOUT_MS,
    );
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      if (!line.startsWith(READY)) return;
      clearTimeout(timer);
      lines.close();
      resolve(Number(line.slice(READY.length)));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`s3rver exited with code ${code} before it was ready:\n${stderr}`));
    });
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

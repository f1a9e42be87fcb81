/**
 * The framework ceiling (issue 9): a Fastify 5 hello-world (`GET /` → `{"hello":"world"}`) in
 * processes of its own, NODE_ENV=production, one node:cluster worker per API process of the Lectio
 * under test, on a free loopback port. What Lectio's hot paths are compared against in the same run.
 */
import { spawn } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../server/test/support/private-services.js';
import type { Baseline } from './types.js';

export type { Baseline } from './types.js';

const SERVER = fileURLToPath(new URL('./hello-world-server.mjs', import.meta.url));

export async function startHelloWorld(processes: number = os.availableParallelism()): Promise<Baseline> {
  if (!Number.isInteger(processes) || processes < 1)
    throw new Error(`hello-world: processes must be ≥ 1, not ${processes}`);
  const port = await freePort();
  const child = spawn(process.execPath, [SERVER, String(port), String(processes)], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', NODE_ENV: 'production' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // If the bench dies first, the baseline must not outlive it.
  const onExit = () => child.kill('SIGTERM');
  process.once('exit', onExit);
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const pids = await new Promise<{ primary: number; workers: number[] }>((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`hello-world did not start within 20 s: ${stderr.trim()}`));
    }, 20_000);
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      const newline = stdout.indexOf('\n');
      if (newline < 0) return;
      clearTimeout(timer);
      resolve(JSON.parse(stdout.slice(0, newline)) as { primary: number; workers: number[] });
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`hello-world exited (${signal ?? code}) before listening: ${stderr.trim()}`));
    });
  });
  return {
    url: `http://127.0.0.1:${port}`,
    pids: () => [pids.primary, ...pids.workers],
    async stop() {
      process.off('exit', onExit);
      if (child.exitCode !== null || child.signalCode !== null) return;
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      });
    },
  };
}

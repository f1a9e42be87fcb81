import { describe, expect, it } from 'vitest';
import { ShutdownProgress } from './shutdown.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('a slow shutdown says what it still waits for', () => {
  it('names only the parts still closing, every period, and stops once told', async () => {
    const progress = new ShutdownProgress();
    const lines: { waitingFor: string[]; message: string }[] = [];
    const stop = progress.reportWhileWaiting(
      { warn: (details, message) => lines.push({ ...(details as { waitingFor: string[] }), message }) },
      20,
    );
    let release!: () => void;
    const stuck = progress.closing('jobs in flight', () => new Promise<void>((resolve) => (release = resolve)));
    await progress.closing('cache', async () => undefined);
    await sleep(70);
    expect(lines.length).toBeGreaterThanOrEqual(2);
    expect(lines.every((l) => l.message === 'still shutting down')).toBe(true);
    expect(lines.at(-1)?.waitingFor).toEqual(['jobs in flight']);

    release();
    await stuck;
    expect(progress.waitingFor).toEqual([]);
    stop();
    const seen = lines.length;
    await sleep(60);
    expect(lines.length).toBe(seen);
  });

  it('counts a part as closed when its close fails, and passes the failure on', async () => {
    const progress = new ShutdownProgress();
    await expect(
      progress.closing('database pool', () => Promise.reject(new Error('connection reset'))),
    ).rejects.toThrow('connection reset');
    expect(progress.waitingFor).toEqual([]);
  });
});

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLogger, stdoutLines } from './logger.js';

/** Lines go to a file here; the writes are seen through fs.write, which the destination calls. */
describe('stdoutLines', () => {
  let dir: string;
  let file: string;
  let fd: number;
  let writes: string[];
  let stream: ReturnType<typeof stdoutLines> | undefined;
  /** The destination under test; closed (and its file descriptor with it) after each test. */
  const open = (flushMs?: number) => (stream = stdoutLines(fd, flushMs));

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lectio-log-'));
    file = path.join(dir, 'out.log');
    fd = fs.openSync(file, 'w');
    writes = [];
    const write = fs.write.bind(fs);
    vi.spyOn(fs, 'write').mockImplementation(((target: number, data: unknown, ...rest: unknown[]) => {
      if (target === fd) writes.push(String(data));
      return (write as (...args: unknown[]) => void)(target, data, ...rest);
    }) as typeof fs.write);
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    const closing = stream!;
    await new Promise<void>((resolve) => {
      closing.once('close', resolve);
      closing.end();
    });
    stream = undefined;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const linesIn = () =>
    fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { msg: string; n?: number });

  it('writes a burst of lines several at a time, each write whole lines of at most 4 KB, in order', async () => {
    const log = createLogger({ level: 'info', name: 'test', destination: open() });
    for (let n = 0; n < 2000; n += 1) log.info({ n, path: '/api/v1/courses?page=3' }, 'request completed');
    await vi.waitFor(() => expect(linesIn()).toHaveLength(2000), { timeout: 2000, interval: 20 });

    expect(linesIn().map((line) => line.n)).toEqual([...Array(2000).keys()]);
    // Several dozen lines per write, not one each.
    expect(writes.length).toBeLessThan(2000 / 20);
    for (const chunk of writes) {
      expect(Buffer.byteLength(chunk)).toBeLessThanOrEqual(4096);
      expect(chunk.endsWith('\n')).toBe(true);
    }
  });

  it('writes a lone line within the flush interval', async () => {
    const log = createLogger({ level: 'info', name: 'test', destination: open(50) });
    log.info('server listening');
    expect(linesIn()).toEqual([]);
    await vi.waitFor(() => expect(linesIn().map((line) => line.msg)).toEqual(['server listening']), {
      timeout: 1000,
      interval: 10,
    });
  });
});

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLogger, redactString, redactStringFully, stdoutLines } from './logger.js';

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

describe('redactString', () => {
  // Pieces of every secret shape the patterns know, and the characters around them, so generated
  // strings hold secrets, near-misses and plain text in any mix.
  const pieces = fc.constantFrom(
    'eyJhbGciOiJI',
    '.eyJzdWIiOiIx',
    '.c2lnbmF0dXJl',
    'Bearer ',
    'basic ',
    '/media/p/',
    '1700000000.u1.abcdef',
    '/videos/v1/seg.ts',
    't=1700000000,v1=',
    '0123abcdef',
    '?token=',
    '&X-Amz-Signature=',
    '&sig=',
    'redis://',
    'postgres://user:',
    'pa55',
    '@db:5432',
    '/api/v1/courses/',
    'python-101',
    '?page=5&sort=newest',
    ' ',
    '\t',
    '=',
    '@',
    '/',
    '?',
    '&',
    ':',
    '"',
  );
  const strings = fc.oneof(
    fc.array(pieces, { maxLength: 12 }).map((p) => p.join('')),
    fc.string(),
    fc.string({ unit: 'binary' }),
  );

  it('answers exactly as the six patterns do, with or without a secret in the string', () => {
    fc.assert(
      fc.property(strings, (value) => {
        expect(redactString(value)).toBe(redactStringFully(value));
      }),
      { numRuns: 5_000 },
    );
  });

  it('still redacts each shape, and leaves a plain request path untouched', () => {
    expect(redactString('/media/p/1700000000.u1.abc/videos/v/master.m3u8')).toBe(
      '/media/p/[redacted]/videos/v/master.m3u8',
    );
    expect(redactString('token eyJhbGciOiJI.eyJzdWIiOiIx.c2ln')).toBe('token [redacted]');
    expect(redactString('Authorization: Bearer abc.def')).toBe('Authorization: Bearer [redacted]');
    expect(redactString('Stripe-Signature t=1,v1=abc')).toBe('Stripe-Signature [redacted]');
    expect(redactString('/x?token=abc&page=2')).toBe('/x?token=[redacted]&page=2');
    expect(redactString('redis://u:pw@cache:6379')).toBe('redis://u:[redacted]@cache:6379');
    const path = '/api/v1/courses/python-101/lessons/7f3e';
    expect(redactString(path)).toBe(path);
  });
});

import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { coalesceWrites } from './coalesce-writes.js';

/** Counts the writes that reach the socket (one `_write` or `_writev` is one system call). */
function countSocketWrites(redis: Redis): { writes: number } {
  const counter = { writes: 0 };
  const socket = redis.stream as typeof redis.stream & {
    _write: (...args: unknown[]) => unknown;
    _writev?: (...args: unknown[]) => unknown;
  };
  const write = socket._write;
  socket._write = function (...args: unknown[]) {
    counter.writes++;
    return write.apply(this, args);
  };
  const writev = socket._writev;
  if (writev) {
    socket._writev = function (...args: unknown[]) {
      counter.writes++;
      return writev.apply(this, args);
    };
  }
  return counter;
}

async function ready(redis: Redis): Promise<Redis> {
  if (redis.status !== 'ready') await new Promise((resolve) => redis.once('ready', resolve));
  return redis;
}

describe('coalesceWrites', () => {
  const clients: Redis[] = [];
  const client = async (coalesced: boolean) => {
    const redis = new Redis(inject('redisUrl'), { keyPrefix: `test:${randomUUID()}:` });
    clients.push(redis);
    if (coalesced) coalesceWrites(redis);
    return ready(redis);
  };
  afterEach(() => {
    for (const redis of clients.splice(0)) redis.disconnect();
  });

  it('sends the commands issued in one round of the event loop in one socket write, each with its own reply in order', async () => {
    const redis = await client(true);
    const counter = countSocketWrites(redis);
    const replies = await Promise.all([
      redis.set('a', '1'),
      redis.get('a'),
      redis.incr('n'),
      redis.incr('n'),
      redis.hset('h', { x: '1', y: '2' }),
      redis.hgetall('h'),
      redis.get('missing'),
      redis.multi().incr('n').get('a').exec(),
    ]);
    expect(replies).toEqual([
      'OK',
      '1',
      1,
      2,
      2,
      { x: '1', y: '2' },
      null,
      [
        [null, 3],
        [null, '1'],
      ],
    ]);
    expect(counter.writes).toBe(1);
    expect(redis.stream.writableCorked).toBe(0);
  });

  it('writes each command on its own without it (what the wrapper saves)', async () => {
    const redis = await client(false);
    const counter = countSocketWrites(redis);
    await Promise.all([redis.set('a', '1'), redis.get('a'), redis.incr('n'), redis.get('missing')]);
    expect(counter.writes).toBe(4);
  });

  it('lets no command wait for a later round: commands of separate rounds go out separately', async () => {
    const redis = await client(true);
    const counter = countSocketWrites(redis);
    expect(await redis.set('k', 'v')).toBe('OK');
    expect(await redis.get('k')).toBe('v');
    const [first, second] = await Promise.all([
      redis.get('k'),
      new Promise<string | null>((resolve) => setImmediate(() => resolve(redis.get('k')))),
    ]);
    expect([first, second]).toEqual(['v', 'v']);
    expect(counter.writes).toBe(4);
  });

  it('works on the new socket after a reconnect', async () => {
    const redis = await client(true);
    await redis.set('k', 'before');
    const before = redis.stream;
    const reconnected = new Promise((resolve) => redis.once('ready', resolve));
    redis.disconnect(true);
    await reconnected;
    expect(redis.stream).not.toBe(before);
    const counter = countSocketWrites(redis);
    expect(await Promise.all([redis.set('k', 'after'), redis.get('k')])).toEqual(['OK', 'after']);
    expect(counter.writes).toBe(1);
  });
});

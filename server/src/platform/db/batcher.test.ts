import { describe, expect, it } from 'vitest';
import { Batcher, batchedReader } from './batcher.js';

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((res) => {
    resolve = res;
  });
  return { promise, resolve };
}

/** A runner that records each batch and answers only when told to. */
function gatedRunner() {
  const batches: number[][] = [];
  const gates: { resolve: () => void }[] = [];
  const runBatch = async (requests: number[]) => {
    batches.push(requests);
    const gate = deferred<void>();
    gates.push(gate);
    await gate.promise;
    return requests.map((n) => n * 10);
  };
  const release = async () => {
    for (const gate of gates.splice(0)) gate.resolve();
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { batches, runBatch, release };
}

const nextRound = () => new Promise((resolve) => setImmediate(resolve));

describe('Batcher', () => {
  it('sends the calls of one loop round together, and those arriving while it is out together after it', async () => {
    const runner = gatedRunner();
    const batcher = new Batcher(runner.runBatch, async (n: number) => n * 10, { maxBatch: 100, maxInFlight: 1 });
    const first = [1, 2, 3].map((n) => batcher.call(n));
    await nextRound();
    expect(runner.batches).toEqual([[1, 2, 3]]);

    const second = [4, 5].map((n) => batcher.call(n));
    await nextRound();
    const third = [6].map((n) => batcher.call(n));
    await nextRound();
    expect(runner.batches).toHaveLength(1); // the one slot is taken: 4, 5 and 6 wait

    await runner.release();
    expect(await Promise.all(first)).toEqual([10, 20, 30]);
    expect(runner.batches).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    await runner.release();
    expect(await Promise.all([...second, ...third])).toEqual([40, 50, 60]);
  });

  it('spreads waiting calls over the free slots and never carries more than maxBatch in one', async () => {
    const runner = gatedRunner();
    const batcher = new Batcher(runner.runBatch, async (n: number) => n * 10, { maxBatch: 3, maxInFlight: 2 });
    const calls = Array.from({ length: 10 }, (_, n) => batcher.call(n));
    await nextRound();
    expect(runner.batches).toEqual([
      [0, 1, 2],
      [3, 4, 5],
    ]);
    await runner.release();
    // Each slot, as it comes free, takes what waits up to maxBatch.
    expect(runner.batches.slice(2)).toEqual([[6, 7, 8], [9]]);
    await runner.release();
    expect(await Promise.all(calls)).toEqual(Array.from({ length: 10 }, (_, n) => n * 10));
  });

  it('sends a lone call as a batch of one', async () => {
    const batches: number[][] = [];
    const batcher = new Batcher(
      async (requests: number[]) => {
        batches.push(requests);
        return requests.map((n) => n + 1);
      },
      async () => {
        throw new Error('not used');
      },
      { maxBatch: 8, maxInFlight: 1 },
    );
    expect(await batcher.call(7)).toBe(8);
    expect(batches).toEqual([[7]]);
  });

  it('frees the slot of a failed batch at once: a retried call that waits long holds up no other call', async () => {
    let fail = true;
    const stuck = deferred<number>();
    const batcher = new Batcher(
      async (requests: number[]) => {
        if (fail) {
          fail = false;
          throw new Error('lock timeout');
        }
        return requests.map((n) => n * 10);
      },
      (n: number) => (n === 1 ? stuck.promise : Promise.resolve(n * 10)),
      { maxBatch: 8, maxInFlight: 1 },
    );
    const waiting = batcher.call(1);
    const other = batcher.call(2);
    expect(await other).toBe(20);
    expect(await batcher.call(3)).toBe(30); // sent while call 1, retried alone, still waits
    stuck.resolve(10);
    expect(await waiting).toBe(10);
  });

  it('retries each call alone when the batch fails, so one bad call gets its own error', async () => {
    const batcher = new Batcher(
      async () => {
        throw new Error('deadlock detected');
      },
      async (n: number) => {
        if (n === 2) throw new Error(`call ${n} is bad`);
        return n * 10;
      },
      { maxBatch: 8, maxInFlight: 1 },
    );
    const results = await Promise.allSettled([1, 2, 3].map((n) => batcher.call(n)));
    expect(results).toEqual([
      { status: 'fulfilled', value: 10 },
      { status: 'rejected', reason: new Error('call 2 is bad') },
      { status: 'fulfilled', value: 30 },
    ]);
  });

  it('rejects only the call a batch answered with an error, and does not run the batch again', async () => {
    let runs = 0;
    const batcher = new Batcher(
      async (requests: number[]) => {
        runs += 1;
        return requests.map((n) => (n === 2 ? new Error('no row for 2') : n * 10));
      },
      async (n: number) => n * 10,
      { maxBatch: 8, maxInFlight: 1 },
    );
    const results = await Promise.allSettled([1, 2, 3].map((n) => batcher.call(n)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(runs).toBe(1);
  });

  it('refuses settings that could never send anything', () => {
    const run = async (requests: number[]) => requests;
    expect(() => new Batcher(run, async (n: number) => n, { maxBatch: 0, maxInFlight: 1 })).toThrow(RangeError);
    expect(() => new Batcher(run, async (n: number) => n, { maxBatch: 1, maxInFlight: 0 })).toThrow(RangeError);
  });
});

describe('batchedReader', () => {
  it('answers each key from one read of the keys asked for together, undefined for a missing one', async () => {
    const reads: string[][] = [];
    const read = batchedReader(async (keys: string[]) => {
      reads.push(keys);
      return keys.map((k) => (k === 'missing' ? undefined : k.toUpperCase()));
    });
    expect(await Promise.all(['a', 'missing', 'b', 'a'].map(read))).toEqual(['A', undefined, 'B', 'A']);
    expect(reads).toEqual([['a', 'missing', 'b', 'a']]);
    expect(await read('c')).toBe('C');
    expect(reads).toEqual([['a', 'missing', 'b', 'a'], ['c']]);
  });
});

export interface BatcherOptions {
  /** The most calls one batch carries. */
  maxBatch: number;
  /** How many batches may be out at once: more lets the database work on several at a time. */
  maxInFlight: number;
}

interface Waiting<Req, Res> {
  request: Req;
  resolve: (result: Res) => void;
  reject: (error: unknown) => void;
}

/**
 * Groups calls that arrive together into one database call each (group commit).
 *
 * A call waits for the end of the event loop's current round of I/O (`setImmediate`), so the calls
 * issued by every request handled in that round leave together; while `maxInFlight` batches are
 * out, later calls wait for one to come back and then leave together. No timer is involved: a lone
 * call on an idle process waits for one loop round, never for a clock. Batches are spread over the
 * free slots, so a busy process keeps several database connections working. A batch runs in the
 * async context of the call that started it: its database span and log lines land in that request's
 * trace, and the other requests of the batch show only their wait.
 *
 * `runBatch` answers one result per request, in order (an `Error` in its place rejects that call
 * alone); a lone call goes through it too, as a batch of one. If it rejects, every call of the batch
 * is run again alone through `runOne`, outside the batch's slot, so one bad call (a row deleted
 * meanwhile, a deadlock, a lock waited on too long) gets its own error and the others their
 * answers, and a call that waits long does so without holding up the calls after it. `runBatch`
 * should therefore give up on long waits; it must reject only when it left nothing behind (its one
 * transaction rolled back), and answer errors in place for whatever it finds wrong after that.
 */
export class Batcher<Req, Res> {
  private waiting: Waiting<Req, Res>[] = [];
  private inFlight = 0;
  private scheduled = false;

  constructor(
    private readonly runBatch: (requests: Req[]) => Promise<(Res | Error)[]>,
    private readonly runOne: (request: Req) => Promise<Res>,
    private readonly options: BatcherOptions,
  ) {
    if (options.maxBatch < 1 || options.maxInFlight < 1) throw new RangeError('maxBatch and maxInFlight must be ≥ 1');
  }

  call(request: Req): Promise<Res> {
    return new Promise<Res>((resolve, reject) => {
      this.waiting.push({ request, resolve, reject });
      if (!this.scheduled && this.inFlight < this.options.maxInFlight) {
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          this.send();
        });
      }
    });
  }

  /** Sends what is waiting, spread evenly over the free slots. */
  private send(): void {
    while (this.waiting.length && this.inFlight < this.options.maxInFlight) {
      const free = this.options.maxInFlight - this.inFlight;
      const size = Math.min(this.options.maxBatch, Math.ceil(this.waiting.length / free));
      const batch = this.waiting.splice(0, size);
      this.inFlight++;
      void this.settle(batch).finally(() => {
        this.inFlight--;
        this.send();
      });
    }
  }

  /**
   * Resolves when the batch's slot may be used again: after its answer, or at once when it failed,
   * since the calls retried alone each wait on their own (one waiting on a lock must not hold up the
   * calls that come after it).
   */
  private async settle(batch: Waiting<Req, Res>[]): Promise<void> {
    let results: (Res | Error)[];
    try {
      results = await this.runBatch(batch.map((w) => w.request));
    } catch {
      // Nothing of it was kept: each call gets its own answer or error.
      for (const w of batch) void this.alone(w);
      return;
    }
    batch.forEach((w, i) => {
      const answer = results.length === batch.length ? results[i]! : new Error('a batch answered a wrong count');
      if (answer instanceof Error) w.reject(answer);
      else w.resolve(answer);
    });
  }

  private async alone(w: Waiting<Req, Res>): Promise<void> {
    try {
      w.resolve(await this.runOne(w.request));
    } catch (error) {
      w.reject(error);
    }
  }
}

/**
 * A read that callers ask for one key at a time and the database answers for many keys in one
 * statement: `readMany` answers one value per key, in order (undefined for a key it has none for).
 * One read is out per process at a time; the keys asked for meanwhile go in the next, so the busier
 * the process, the larger the reads.
 */
export function batchedReader<K, V>(
  readMany: (keys: K[]) => Promise<(V | undefined)[]>,
  maxBatch = 64,
): (key: K) => Promise<V | undefined> {
  const batcher = new Batcher<K, V | undefined>(readMany, async (key) => (await readMany([key]))[0], {
    maxBatch,
    maxInFlight: 1,
  });
  return (key) => batcher.call(key);
}

/**
 * What a shutdown is still waiting for. A process told to stop finishes its requests and jobs and
 * closes its connections; when one of those never ends (a job stuck on a dead connection, a pool
 * that never drains), the supervisor's timeout kills the process and nothing said which part hung.
 * Each part is registered by name while it closes, and a stop that takes long says, every so
 * often, which parts are still open.
 */
export interface ShutdownLog {
  warn(details: object, message: string): void;
}

export class ShutdownProgress {
  private readonly open = new Set<string>();

  /** Runs `close` with `name` counted as open until it settles (either way). */
  async closing<T>(name: string, close: () => Promise<T> | T): Promise<T> {
    this.open.add(name);
    try {
      return await close();
    } finally {
      this.open.delete(name);
    }
  }

  /** The parts still closing, in the order they started. */
  get waitingFor(): string[] {
    return [...this.open];
  }

  /**
   * Warns every `everyMs` with what is still open, until the returned function is called. The
   * timer does not keep the process alive by itself.
   */
  reportWhileWaiting(log: ShutdownLog, everyMs: number): () => void {
    const started = Date.now();
    const timer = setInterval(() => {
      log.warn(
        { waitingFor: this.waitingFor, seconds: Math.round((Date.now() - started) / 1000) },
        'still shutting down',
      );
    }, everyMs);
    timer.unref();
    return () => clearInterval(timer);
  }
}

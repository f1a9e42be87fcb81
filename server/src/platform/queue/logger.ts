/**
 * What the queue adapters log through: a subset of pino's logger, so the application's logger can
 * be passed as is. Background loops (polling, heartbeats, Redis reconnects) have no caller to throw
 * to, so their errors would be lost without it.
 */
export interface QueueLogger {
  warn(details: Record<string, unknown>, message: string): void;
  error(details: Record<string, unknown>, message: string): void;
}

/** For tests and tools that do not care; production wiring should pass the real logger. */
export const silentQueueLogger: QueueLogger = {
  warn: () => undefined,
  error: () => undefined,
};

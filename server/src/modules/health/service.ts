export type CheckStatus = 'up' | 'down';
export type OverallStatus = 'ok' | 'degraded' | 'down';

export interface HealthCheckTarget {
  /** The port's name in the report: database, cache, queue, storage, mail. */
  name: string;
  backend: string;
  /** Without the database nothing can be served; every other port only degrades the platform. */
  critical: boolean;
  ping(): Promise<void>;
}

export interface CheckResult {
  backend: string;
  status: CheckStatus;
  latencyMs: number;
  error?: string;
}

export interface ReadinessReport {
  status: OverallStatus;
  checks: Record<string, CheckResult>;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * Readiness for the load balancer: `down` (503) only when the database is unreachable. A cache or
 * queue outage is `degraded` (200) because the platform keeps serving from the database, and a
 * load balancer that pulled every instance for a Redis blip would turn a slowdown into an outage.
 */
export class HealthService {
  constructor(
    private readonly targets: HealthCheckTarget[],
    private readonly timeoutMs = 1_500,
  ) {}

  async readiness(): Promise<ReadinessReport> {
    const results = await Promise.all(
      this.targets.map(async (target): Promise<[string, CheckResult, boolean]> => {
        const started = performance.now();
        try {
          await withTimeout(target.ping(), this.timeoutMs);
          return [target.name, { backend: target.backend, status: 'up', latencyMs: elapsed(started) }, target.critical];
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          return [
            target.name,
            { backend: target.backend, status: 'down', latencyMs: elapsed(started), error: message.slice(0, 200) },
            target.critical,
          ];
        }
      }),
    );
    const criticalDown = results.some(([, r, critical]) => critical && r.status === 'down');
    const anyDown = results.some(([, r]) => r.status === 'down');
    return {
      status: criticalDown ? 'down' : anyDown ? 'degraded' : 'ok',
      checks: Object.fromEntries(results.map(([name, r]) => [name, r])),
    };
  }
}

function elapsed(started: number): number {
  return Math.round((performance.now() - started) * 10) / 10;
}

import type { JobRegistration } from '../queue/port.js';
import type { JobMetrics } from './metrics.js';

/**
 * Times every handler run and records its outcome. Wrapping the registrations, not the queue
 * adapters, measures both backends identically and counts exactly the handler's own work (not
 * the claim, the lease or the retry bookkeeping around it).
 */
export function measureJobs(registrations: readonly JobRegistration[], metrics: JobMetrics): JobRegistration[] {
  return registrations.map((registration) => ({
    declaration: registration.declaration,
    async handle(payload, context) {
      const started = performance.now();
      try {
        await registration.handle(payload, context);
        metrics.observeJob(registration.declaration.name, 'completed', (performance.now() - started) / 1000);
      } catch (error) {
        metrics.observeJob(registration.declaration.name, 'failed', (performance.now() - started) / 1000);
        throw error;
      }
    },
  }));
}

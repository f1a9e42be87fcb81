import { api, type paths } from './client';

type ReadinessResponses = paths['/health/ready']['get']['responses'];

// Derived from the path rather than a named component so it survives
// regeneration from a server that inlines its schemas.
export type ReadinessReport = ReadinessResponses[200]['content']['application/json'];
export type OverallStatus = ReadinessReport['status'];
export type ServiceCheck = ReadinessReport['checks'][string];

const OVERALL_STATUSES: readonly string[] = ['ok', 'degraded', 'down'] satisfies OverallStatus[];

// A 503 body is parsed as the error branch, and anything in front of the
// server (a proxy's error page) can answer 503 too, so the shape is checked.
function isReadinessReport(value: unknown): value is ReadinessReport {
  if (typeof value !== 'object' || value === null) return false;
  if (!('status' in value) || !('checks' in value)) return false;
  return (
    typeof value.status === 'string' &&
    OVERALL_STATUSES.includes(value.status) &&
    typeof value.checks === 'object' &&
    value.checks !== null
  );
}

/**
 * Readiness of the platform. A 503 still carries a full report (a dependency
 * is down but the server answers), so it resolves rather than rejects.
 */
export async function fetchReadiness(signal?: AbortSignal): Promise<ReadinessReport> {
  const { data, error, response } = await api.GET('/health/ready', { signal });
  if (data) return data;
  if (response.status === 503 && isReadinessReport(error)) return error;
  throw new Error(`GET /health/ready answered HTTP ${response.status}`);
}

// The job monitor API (/api/v1/admin/jobs) through the typed client, as the signed-in admin.
import createClient from 'openapi-fetch';
import { apiErrorFrom } from '../api/apiError';
import type { paths } from '../api/schema';
import { replayableRequestFetch } from '../auth/replayableRequest';
import { session } from '../auth/session';

type Json<T> = T extends { content: { 'application/json': infer Body } } ? Body : never;

export type JobsOverview = Json<paths['/api/v1/admin/jobs']['get']['responses'][200]>;
export type QueueCounts = JobsOverview['queues'][number];
export type QueueName = QueueCounts['queue'];
export type JobPage = Json<paths['/api/v1/admin/jobs/{queue}']['get']['responses'][200]>;
export type Job = JobPage['items'][number];
export type JobState = Job['state'];

export const QUEUES: readonly QueueName[] = ['video', 'default'];
export const JOB_STATES: readonly JobState[] = ['failed', 'waiting', 'active', 'delayed', 'completed'];

const adminApi = createClient<paths>({
  baseUrl: '',
  credentials: 'include',
  fetch: replayableRequestFetch((url, init) => session.fetch(url, init)),
});

export interface JobListQuery {
  queue: QueueName;
  state: JobState;
  page: number;
  pageSize: number;
}

export async function fetchJobsOverview(signal?: AbortSignal): Promise<JobsOverview> {
  const { data, error, response } = await adminApi.GET('/api/v1/admin/jobs', { signal });
  if (!response.ok || !data) throw apiErrorFrom('GET /admin/jobs', response.status, response.headers, error);
  return data;
}

export async function fetchJobs({ queue, ...query }: JobListQuery, signal?: AbortSignal): Promise<JobPage> {
  const { data, error, response } = await adminApi.GET('/api/v1/admin/jobs/{queue}', {
    params: { path: { queue }, query },
    signal,
  });
  if (!response.ok || !data) throw apiErrorFrom('GET /admin/jobs/:queue', response.status, response.headers, error);
  return data;
}

export async function retryJob(queue: QueueName, id: string): Promise<void> {
  const { error, response } = await adminApi.POST('/api/v1/admin/jobs/{queue}/{id}/retry', {
    params: { path: { queue, id } },
  });
  if (!response.ok) throw apiErrorFrom('retry job', response.status, response.headers, error);
}

export async function removeJob(queue: QueueName, id: string): Promise<void> {
  const { error, response } = await adminApi.DELETE('/api/v1/admin/jobs/{queue}/{id}', {
    params: { path: { queue, id } },
  });
  if (!response.ok) throw apiErrorFrom('remove job', response.status, response.headers, error);
}

export const jobKeys = {
  all: ['admin', 'jobs'] as const,
  overview: ['admin', 'jobs', 'overview'] as const,
  list: (query: JobListQuery) => ['admin', 'jobs', 'list', query] as const,
};

/** The first line of an error (its message; the stack follows), for the table cell. */
export function errorHeadline(error: string | null): string {
  if (!error) return '';
  return error.split('\n', 1)[0]!.trim();
}

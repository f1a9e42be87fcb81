import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { WEB_ROOT } from '../src/container.js';
import { BullmqQueue } from '../src/platform/queue/bullmq.js';
import { EmbeddedQueue } from '../src/platform/queue/embedded.js';
import { defineJob, registerJob, type QueuePort } from '../src/platform/queue/port.js';
import { ApiClient, errorCode } from './support/accounts.js';
import { serverBackends } from './support/databases.js';
import { deleteRedisPrefix } from './support/queue-backends.js';
import { startTestServer, waitUntil, type TestServer } from './support/servers.js';

/**
 * The job monitor end to end: a real job fails all its attempts in a worker, an admin finds it
 * through /api/v1/admin/jobs, retries it, and it succeeds; on the embedded backend the same again
 * through the /admin/jobs page in Chromium. The API runs without a worker of its own; this file's
 * queue adapter is the worker, over the server's own store (its database, or its Redis prefix),
 * so the test decides when the job's cause is "fixed".
 */

const PASSWORD = 'monitor-password-123';
const unique = () => randomBytes(4).toString('hex');

const exportReportJob = defineJob({
  name: 'test.export-report',
  queue: 'default',
  priority: 'low',
  attempts: 2,
  backoffMs: 50,
  payload: z.object({ reportId: z.string() }),
});

interface ListedJob {
  id: string;
  name: string;
  state: string;
  attemptsMade: number;
  maxAttempts: number;
  error: string | null;
  createdAt: string;
  finishedAt: string | null;
}

describe.each(serverBackends())('job monitor [%s]', (backendName, setup) => {
  let backend: Awaited<ReturnType<typeof setup>>;
  let server: TestServer;
  let worker: QueuePort;
  let prefix: string;
  let admin: ApiClient;
  let student: ApiClient;
  /** The job's cause: while true every run throws, as a report store that is down would. */
  let storeOffline = true;
  const runs: { reportId: string; attempt: number }[] = [];

  async function signedIn(role: 'admin' | 'student'): Promise<ApiClient> {
    const email = `${role}-${unique()}@example.com`;
    await server.services.users.createUser({ email, password: PASSWORD, displayName: `Monitor ${role}`, role });
    const client = new ApiClient(server.url, `10.7.${role === 'admin' ? 1 : 2}.${Math.floor(Math.random() * 250) + 1}`);
    expect((await client.login(email, PASSWORD)).status).toBe(200);
    return client;
  }

  async function listed(state: string): Promise<ListedJob[]> {
    const res = await admin.call('GET', `/admin/jobs/default?state=${state}&pageSize=100`);
    expect(res.status).toBe(200);
    return ((await res.json()) as { items: ListedJob[] }).items;
  }

  const failedFor = (id: string) =>
    waitUntil(async () => (await listed('failed')).find((job) => job.id === id), `job ${id} to fail for good`);

  beforeAll(async () => {
    backend = await setup();
    prefix = `tjm${unique()}`;
    server = await startTestServer(
      { ...backend.env, TRUST_PROXY: 'true', REDIS_PREFIX: prefix },
      { api: true, worker: false },
    );
    const redisUrl = backend.env.REDIS_URL;
    worker = redisUrl
      ? new BullmqQueue({ redisUrl, prefix, leaseMs: 2_000, shutdownTimeoutMs: 2_000 })
      : new EmbeddedQueue({ database: server.database, leaseMs: 2_000, shutdownTimeoutMs: 2_000, pollIntervalMs: 100 });
    await worker.startWorkers(
      [
        registerJob(exportReportJob, async ({ reportId }, context) => {
          runs.push({ reportId, attempt: context.attempt });
          if (storeOffline) throw new Error(`report store offline while exporting ${reportId}`);
        }),
      ],
      { queues: ['default'], concurrency: { video: 0, default: 1 } },
    );
    admin = await signedIn('admin');
    student = await signedIn('student');
  });

  afterAll(async () => {
    await worker?.close();
    await server?.stop();
    if (backend?.env.REDIS_URL) await deleteRedisPrefix(backend.env.REDIS_URL, prefix);
    await backend?.dispose();
  });

  it('lists a job that failed all its attempts; Retry runs it again and it succeeds', async () => {
    storeOffline = true;
    const id = await worker.enqueue(exportReportJob, { reportId: 'r-1' });
    const failed = await failedFor(id);
    expect(failed).toMatchObject({ name: 'test.export-report', state: 'failed', attemptsMade: 2, maxAttempts: 2 });
    expect(failed.error).toContain('report store offline while exporting r-1');
    expect(Date.parse(failed.finishedAt!)).toBeGreaterThanOrEqual(Date.parse(failed.createdAt));

    const overview = await admin.call('GET', '/admin/jobs');
    expect(overview.status).toBe(200);
    const counts = (await overview.json()) as { backend: string; queues: { queue: string; failed: number }[] };
    expect(counts.backend).toBe(backendName === 'embedded' ? 'embedded' : 'bullmq');
    expect(counts.queues.map((q) => q.queue).sort()).toEqual(['default', 'video']);
    expect(counts.queues.find((q) => q.queue === 'default')!.failed).toBeGreaterThanOrEqual(1);

    // Only admins: a student may neither look nor act.
    expect((await student.call('GET', '/admin/jobs')).status).toBe(403);
    const refused = await student.call('POST', `/admin/jobs/default/${id}/retry`);
    expect(refused.status).toBe(403);
    expect(await errorCode(refused)).toBe('forbidden');

    storeOffline = false;
    expect((await admin.call('POST', `/admin/jobs/default/${id}/retry`)).status).toBe(204);
    const completed = await waitUntil(
      async () => (await listed('completed')).find((job) => job.id === id),
      'the retried job to complete',
    );
    expect(completed).toMatchObject({ state: 'completed', error: null });
    expect((await listed('failed')).some((job) => job.id === id)).toBe(false);
    // Two attempts that failed, then one fresh attempt that succeeded.
    expect(runs.filter((r) => r.reportId === 'r-1').map((r) => r.attempt)).toEqual([1, 2, 1]);

    const again = await admin.call('POST', `/admin/jobs/default/${id}/retry`);
    expect(again.status).toBe(409);
    expect(await errorCode(again)).toBe('job_not_failed');
  });

  it('removes a failed job; unknown jobs are 404 and bad parameters 400', async () => {
    storeOffline = true;
    const id = await worker.enqueue(exportReportJob, { reportId: 'r-2' });
    await failedFor(id);
    expect((await admin.call('DELETE', `/admin/jobs/default/${id}`)).status).toBe(204);
    expect((await listed('failed')).some((job) => job.id === id)).toBe(false);

    const gone = await admin.call('DELETE', `/admin/jobs/default/${id}`);
    expect(gone.status).toBe(404);
    expect(await errorCode(gone)).toBe('job_not_found');
    expect((await admin.call('POST', `/admin/jobs/default/${id}/retry`)).status).toBe(404);
    // Ids that name other keys of a BullMQ queue are no job either.
    expect((await admin.call('DELETE', '/admin/jobs/default/meta')).status).toBe(404);
    expect((await admin.call('GET', '/admin/jobs/reports')).status).toBe(400);
    expect((await admin.call('GET', '/admin/jobs/default?state=stuck')).status).toBe(400);
    expect((await admin.call('POST', '/admin/jobs/default/a%20b/retry')).status).toBe(400);
  });

  // The page once, on the embedded backend: the API under it is the same on both.
  if (backendName === 'embedded') {
    describe('the /admin/jobs page in Chromium', () => {
      let browser: Browser;
      beforeAll(async () => {
        if (!existsSync(path.join(WEB_ROOT, 'index.html'))) {
          throw new Error(`the web app is not built (${WEB_ROOT}): run npm run build first`);
        }
        browser = await chromium.launch({
          executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
          headless: true,
          args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
        });
      });
      afterAll(async () => {
        await browser?.close();
      });

      it('shows failed jobs in Korean; Retry and Remove ask first, then act', async () => {
        storeOffline = true;
        const retried = await worker.enqueue(exportReportJob, { reportId: 'r-page-1' });
        const removed = await worker.enqueue(exportReportJob, { reportId: 'r-page-2' });
        await failedFor(retried);
        await failedFor(removed);

        const email = `page-admin-${unique()}@example.com`;
        await server.services.users.createUser({ email, password: PASSWORD, displayName: '관리자', role: 'admin' });
        const context = await browser.newContext({ locale: 'ko-KR', viewport: { width: 1280, height: 900 } });
        const page = await context.newPage();
        page.setDefaultTimeout(20_000);
        try {
          await page.goto(`${server.url}/login`);
          await page.getByLabel('이메일', { exact: true }).fill(email);
          await page.getByLabel('비밀번호', { exact: true }).fill(PASSWORD);
          await page.getByRole('main').getByRole('button', { name: '로그인' }).click();
          await page.getByTestId('user-menu-button').waitFor();

          // Linked from the admin menu.
          await page.getByTestId('user-menu-button').click();
          await page.getByRole('link', { name: '백그라운드 작업' }).click();
          await page.getByRole('heading', { level: 1, name: '백그라운드 작업' }).waitFor();
          expect(new URL(page.url()).pathname).toBe('/admin/jobs');

          const counts = page.getByRole('table', { name: '큐별 작업 수' });
          const generalRow = counts.getByRole('row', { name: /^일반/ });
          await generalRow.waitFor();
          const failedCell = () => generalRow.getByRole('cell').nth(3);
          expect(Number(await failedCell().textContent())).toBeGreaterThanOrEqual(2);

          const jobs = page.getByRole('table', { name: '일반 큐의 실패 작업' });
          const retryName = `test.export-report 다시 시도 (작업 ${retried})`;
          const retryButton = jobs.getByRole('button', { name: retryName });
          await retryButton.waitFor();
          // `has` is looked up inside each row, so it starts from the page, not from the table.
          const row = jobs.getByRole('row').filter({ has: page.getByRole('button', { name: retryName }) });
          expect(await row.textContent()).toContain('report store offline while exporting r-page-1');
          expect(await row.textContent()).toContain('2회 중 2회');

          // Retry asks first; cancelling changes nothing.
          await retryButton.click();
          const dialog = page.getByRole('dialog', { name: '이 작업을 다시 시도할까요?' });
          await dialog.waitFor();
          await dialog.getByRole('button', { name: '취소' }).click();
          await dialog.waitFor({ state: 'hidden' });
          expect((await listed('failed')).some((job) => job.id === retried)).toBe(true);

          storeOffline = false;
          await retryButton.click();
          await dialog.getByRole('button', { name: '작업 다시 시도' }).click();
          await page
            .getByRole('status')
            .filter({ hasText: `test.export-report (작업 ${retried})을(를) 큐로 돌려보냈습니다.` })
            .waitFor();
          await retryButton.waitFor({ state: 'detached' });
          await waitUntil(
            async () => (await listed('completed')).find((job) => job.id === retried),
            'the job retried from the page to complete',
          );

          // Remove: confirmed in its dialog, and the row goes.
          const removeButton = jobs.getByRole('button', { name: `test.export-report 삭제 (작업 ${removed})` });
          await removeButton.click();
          const removeDialog = page.getByRole('dialog', { name: '이 작업을 삭제할까요?' });
          await removeDialog.getByRole('button', { name: '작업 삭제' }).click();
          await removeButton.waitFor({ state: 'detached' });
          expect((await listed('failed')).some((job) => job.id === removed)).toBe(false);

          // The completed list shows the retried job, found through the state filter.
          await page.getByLabel('상태', { exact: true }).selectOption('completed');
          await page
            .getByRole('table', { name: '일반 큐의 완료 작업' })
            .getByRole('rowheader')
            .filter({ hasText: `#${retried}` })
            .waitFor();
          await page.screenshot({ path: await screenshotPath('admin-jobs.png'), fullPage: true });
        } finally {
          await context.close();
        }
      });
    });
  }
});

async function screenshotPath(name: string): Promise<string> {
  const dir = path.resolve(import.meta.dirname, '../../e2e/artifacts');
  await mkdir(dir, { recursive: true });
  return path.join(dir, name);
}

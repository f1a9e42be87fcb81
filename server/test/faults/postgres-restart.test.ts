import { inArray, sql } from 'drizzle-orm';
import { enrollments } from '../../src/modules/enrollments/schema.js';
import { Writable } from 'node:stream';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { coupons } from '../../src/modules/payments/schema.js';
import { insertCourse, signedInUser } from '../support/course-fixtures.js';
import type { ApiClient } from '../support/accounts.js';
import {
  startPrivatePostgres,
  startPrivateRedis,
  type PrivatePostgres,
  type PrivateRedis,
} from '../support/private-services.js';
import { createLogger } from '../../src/platform/telemetry/logger.js';
import { startTestServer, waitUntil, type TestServer } from '../support/servers.js';
import { sleep, startSteadyLoad, summary, within, type Answer } from './support.js';

/**
 * PostgreSQL stopped and started again (a restart, a failover) under steady load, while students
 * enroll and buy. What a user must see: during the gap a quick 503 with Retry-After (never a hang,
 * never a 500), afterwards normal answers with no restart of the API (the pool reconnects by
 * itself), and nothing half-written: no paid order without its enrollment, no order-sourced
 * enrollment without its paid order, no coupon use counted for an order that does not exist.
 */

const GAP_MS = 8_000;
/**
 * Longest a request may take during the gap: the pool's connection timeout (5 s, a request queued
 * for a connection gives up then) plus slack for a busy machine. Without it a request would wait.
 */
const MAX_REQUEST_MS = 8_000;
const STUDENTS = 16;

/** The server's warnings, for the last "still shutting down" report. */
class StopReports extends Writable {
  private waitingFor: string[] | undefined;
  override _write(chunk: Buffer, _encoding: string, callback: () => void) {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (!line.includes('still shutting down')) continue;
      this.waitingFor = (JSON.parse(line) as { waitingFor?: string[] }).waitingFor;
    }
    callback();
  }
  lastWaitingFor(): string {
    return this.waitingFor ? this.waitingFor.join(', ') || '(nothing named)' : '(no report yet)';
  }
}

describe('PostgreSQL restarted under load [private postgres + redis]', () => {
  const stopReports = new StopReports();
  let database: PrivatePostgres;
  let redis: PrivateRedis;
  let server: TestServer;

  beforeAll(async () => {
    [database, redis] = await Promise.all([startPrivatePostgres(), startPrivateRedis()]);
    server = await startTestServer(
      {
        DATABASE_URL: database.url,
        REDIS_URL: redis.url,
        QUEUE_BACKEND: 'bullmq',
        TRUST_PROXY: 'true',
        SEED_DEMO_DATA: 'false',
        PAYMENTS_BACKEND: 'test',
      },
      { api: true, worker: true },
      // Warnings only, kept in memory: what a slow stop says it waits for (see afterAll).
      { logger: createLogger({ level: 'warn', name: 'lectio', destination: stopReports }), shutdownReportMs: 5_000 },
    );
  }, 60_000);
  afterAll(async () => {
    // Bounded: in two runs of 2026-11-27 (one CI, one local) the in-process server's stop after the
    // restart did not finish within the 120 s hook limit, cause not found yet (it passed thirteen
    // times in a row on 2026-11-28). The assertions are unaffected; the warning keeps the hang
    // visible and names the part the stop was still waiting for.
    const stopped = await Promise.race([
      server?.stop().then(() => true),
      new Promise<false>((resolve) => setTimeout(() => resolve(false), 30_000).unref()),
    ]);
    if (stopped === false) {
      console.warn(
        '[postgres-restart] the server did not stop within 30 s after the restart; it was waiting for:',
        stopReports.lastWaitingFor(),
      );
    }
    await redis?.stop();
    await database?.destroy();
  }, 60_000);

  it('answers 503 with Retry-After during the gap, recovers by itself, and leaves nothing half-written', async () => {
    const db = server.database.primary;
    const instructor = await signedInUser(server, 'instructor');
    const free = await insertCourse(db, { instructorId: instructor.id, price: 0 });
    const couponed = await insertCourse(db, { instructorId: instructor.id, price: 33_000 });
    const paid = await insertCourse(db, { instructorId: instructor.id, price: 44_000 });
    await db.insert(coupons).values({
      code: 'FAULTFREE',
      kind: 'percent',
      percentOff: 100,
      courseId: couponed.id,
      createdBy: instructor.id,
    });
    const students: ApiClient[] = [];
    for (let i = 0; i < STUDENTS; i++) students.push((await signedInUser(server, 'student')).client);
    const token = students[0]!.accessToken!;

    const load = startSteadyLoad(
      [
        // Reads that need the database on every call (the account check), and cacheable ones.
        { name: 'me', url: `${server.url}/api/v1/me`, headers: { authorization: `Bearer ${token}` } },
        {
          name: 'enrollments',
          url: `${server.url}/api/v1/me/enrollments`,
          headers: { authorization: `Bearer ${token}` },
        },
        { name: 'course', url: `${server.url}/api/v1/courses/${free.slug}` },
        { name: 'catalog', url: `${server.url}/api/v1/courses` },
      ],
      { concurrency: 4, timeoutMs: 20_000 },
    );

    // Writes all through the fault: each student enrolls, orders with the coupon, orders with the
    // gateway, round and round (409 once done). Every answer is kept with its time.
    const writes: Answer[] = [];
    let writing = true;
    const write = async (name: string, client: ApiClient, method: string, path: string, body: unknown) => {
      const at = Date.now();
      try {
        const res = await client.call(method, path, body);
        await res.arrayBuffer();
        writes.push({ name, at, ms: Date.now() - at, status: res.status, retryAfter: res.headers.get('retry-after') });
      } catch (error) {
        writes.push({ name, at, ms: Date.now() - at, status: 0, error: String(error) });
      }
    };
    const writers = [0, 1].map(async (lane) => {
      for (let i = lane; writing; i += 2) {
        const client = students[i % STUDENTS]!;
        await write('enroll', client, 'POST', `/courses/${free.id}/enroll`, undefined);
        await write('coupon-order', client, 'POST', '/orders', { courseId: couponed.id, couponCode: 'faultfree' });
        await write('gateway-order', client, 'POST', '/orders', { courseId: paid.id });
        await sleep(50);
      }
    });

    // A connection dropped under a checked-out client must not crash the process (in production
    // an uncaught exception ends the API); vitest would catch it, so it is counted here as well.
    const crashes: unknown[] = [];
    const onCrash = (error: unknown) => crashes.push(error);
    process.on('uncaughtException', onCrash);

    let answers: Answer[] = [];
    try {
      await sleep(2_000);
      // A transaction of the server's pool caught between two statements when the server goes away
      // (its connection checked out, no query running): the case that used to crash the process.
      let resume!: () => void;
      const paused = new Promise<void>((resolve) => (resume = resolve));
      const interrupted = db
        .transaction(async (tx) => {
          await tx.execute(sql`select 1`);
          await paused;
          await tx.execute(sql`select 1`);
        })
        .then(
          () => 'committed',
          (error: unknown) => String(error),
        );
      await sleep(200);
      const gapStart = Date.now();
      await database.stop();
      await sleep(GAP_MS);
      resume();
      expect(await interrupted).not.toBe('committed');
      await database.start();
      const restarted = Date.now();
      // The pool reconnects by itself: the first request that needs the database is answered.
      await waitUntil(
        async () => {
          const res = await fetch(`${server.url}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } });
          return res.status === 200 ? true : undefined;
        },
        'the pool to reconnect',
        15_000,
      );
      const recovered = Date.now();
      await sleep(3_000);
      writing = false;
      await Promise.all(writers);
      answers = await load.stop();

      expect(crashes.map(String), 'uncaught exceptions in the server process').toEqual([]);
      const all = [...answers, ...writes];
      const gap = within(all, gapStart, restarted);
      console.log(
        `[postgres-restart] gap ${restarted - gapStart} ms, pool back ${recovered - restarted} ms after start; ` +
          `during the gap: ${summary(gap)}; slowest ${Math.max(...gap.map((a) => a.ms)).toFixed(0)} ms`,
      );
      // During the gap: quick answers, each a success (cached) or a 503 saying when to retry.
      expect(gap.length).toBeGreaterThan(20);
      const unavailable = gap.filter((a) => a.status === 503);
      expect(unavailable.length, summary(gap)).toBeGreaterThan(10);
      expect(
        unavailable.filter((a) => !a.retryAfter || !(Number(a.retryAfter) > 0)),
        'every 503 says when to retry',
      ).toEqual([]);
      expect(
        gap.filter((a) => ![200, 201, 409, 503].includes(a.status)),
        summary(gap),
      ).toEqual([]);
      expect(Math.max(...all.map((a) => a.ms)), 'no request hangs').toBeLessThan(MAX_REQUEST_MS);
      // Recovered: everything after it answers as before the fault.
      const after = within(answers, recovered + 500, Date.now());
      expect(after.length).toBeGreaterThan(20);
      expect(
        after.filter((a) => a.status !== 200),
        summary(after),
      ).toEqual([]);

      // Nothing half-written (checked on a connection of the test's own).
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      try {
        const paidWithoutEnrollment = await client.query(
          `select o.id from orders o left join enrollments e on e.order_id = o.id
           where o.status = 'paid' and e.id is null`,
        );
        expect(paidWithoutEnrollment.rows).toEqual([]);
        const enrollmentWithoutPaidOrder = await client.query(
          `select e.id from enrollments e left join orders o on o.id = e.order_id
           where e.source = 'order' and (o.id is null or o.status <> 'paid')`,
        );
        expect(enrollmentWithoutPaidOrder.rows).toEqual([]);
        const couponUses = await client.query(
          `select c.used_count::int as used,
             (select count(*)::int from orders o where o.coupon_id = c.id and o.status in ('pending', 'paid')) as orders
           from coupons c where c.code = 'FAULTFREE'`,
        );
        expect(couponUses.rows[0].used).toBe(couponUses.rows[0].orders);
        // A pending order the student cannot pay (no checkout page) would block them: none.
        const pendingWithoutCheckout = await client.query(
          `select id from orders where status = 'pending' and checkout_url is null`,
        );
        expect(pendingWithoutCheckout.rows).toEqual([]);
      } finally {
        await client.end();
      }

      // And nobody is stuck: each student can finish what the fault interrupted.
      for (const student of students) {
        expect([201, 409]).toContain((await student.call('POST', `/courses/${free.id}/enroll`)).status);
        const order = await student.call('POST', '/orders', { courseId: couponed.id, couponCode: 'faultfree' });
        expect([200, 201, 409]).toContain(order.status);
      }
      const [{ count }] = (await db
        .select({ count: sql<number>`count(*)::int` })
        .from(enrollments)
        .where(inArray(enrollments.courseId, [free.id, couponed.id]))) as [{ count: number }];
      expect(count).toBe(2 * STUDENTS);
    } finally {
      process.off('uncaughtException', onCrash);
      writing = false;
      if (!answers.length) await load.stop().catch(() => undefined);
    }
  }, 90_000);
});

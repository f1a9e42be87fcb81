/**
 * A/B of the HTTP stack between two checkouts, for changes too small to see through the noise of
 * separate runs: `npx tsx bench/ab-http.ts <rounds> <sliceSeconds> <treeA> <treeB>` (e.g. a
 * `git worktree` of HEAD and the working tree). Both trees' APIs run at once in this process (one
 * private PostgreSQL and Redis, production settings, INFO logs to /dev/null), and the routes are
 * loaded in short alternating slices (A B, then B A), so a burst of other work on the machine weighs
 * on both alike. Reports requests/s and server CPU ms per request (from /proc, bench/lib/load.ts),
 * each as B ÷ A. Results: docs/benchmarks/http-overhead.md.
 */
import { createRequire } from 'node:module';
import { openSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const [rounds, slice, A, B] = [Number(process.argv[2]), Number(process.argv[3]), process.argv[4]!, process.argv[5]!];
const imp = (repo: string, p: string) => import(pathToFileURL(`${repo}/${p}`).href);
const req = createRequire(`${A}/server/package.json`);
const { sql } = await import(pathToFileURL(req.resolve('drizzle-orm')).href);
const { pino } = await import(pathToFileURL(req.resolve('pino')).href);
const { startPrivatePostgres, startPrivateRedis } = await imp(A, 'server/test/support/private-services.ts');
const { runLoad } = await imp(A, 'bench/lib/load.ts');
const [pg, redis] = await Promise.all([startPrivatePostgres(), startPrivateRedis()]);
const env = {
  DATABASE_URL: pg.url,
  REDIS_URL: redis.url,
  TRUST_PROXY: 'true',
  RATE_LIMIT_MAX: '1000000',
  DATABASE_POOL_MAX: '20',
  NODE_ENV: 'production',
  QUEUE_BACKEND: 'bullmq',
  SEED_DEMO_DATA: 'false',
  APP_SECRET: 'x'.repeat(40),
  PLAYBACK_SIGNING_KEY: 'y'.repeat(40),
  JWT_SIGNING_KEYS: 'k1:' + 'z'.repeat(48),
};
const servers: { tree: string; url: string; stop: () => Promise<void>; token: string }[] = [];
let seeded = false;
try {
  for (const tree of [A, B]) {
    const { startTestServer } = await imp(tree, 'server/test/support/servers.ts');
    const { createLogger } = await imp(tree, 'server/src/platform/telemetry/logger.ts');
    const logger = createLogger({
      level: 'info',
      name: 'lectio',
      destination: pino.destination({ fd: openSync('/dev/null', 'w'), sync: false }),
    });
    const server = await startTestServer(env, { api: true, worker: false }, { logger });
    const email = `h3-${Date.now()}-${servers.length}@bench.example`;
    await server.services.users.createUser({
      email,
      password: 'bench-password-123',
      displayName: 'changed',
      role: 'student',
    });
    const login = await fetch(`${server.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': `10.9.9.${servers.length}` },
      body: JSON.stringify({ email, password: 'bench-password-123' }),
    });
    const token = ((await login.json()) as { accessToken: string }).accessToken;
    if (!seeded) {
      const db = server.database.primary;
      const [ins] = (
        await db.execute(
          sql`insert into users (email, password_hash, display_name, role) values (${'i' + email}, 'x', 'Inst', 'instructor') returning id`,
        )
      ).rows as { id: string }[];
      await db.execute(
        sql`insert into courses (instructor_id, slug, title, subtitle, description, price_amount, status, published_at) select ${ins!.id}, 'h3-course-' || g, 'Course ' || g, 'Sub', 'Desc', 0, 'published', now() from generate_series(1, 40) g`,
      );
      seeded = true;
    }
    servers.push({ tree, url: server.url, stop: () => server.stop(), token });
  }
  const routes = (s: (typeof servers)[number]): [string, string, Record<string, string>][] => [
    ['GET /health/live', '/health/live', {}],
    ['GET /api/v1/me', '/api/v1/me', { authorization: `Bearer ${s.token}` }],
    ['GET /api/v1/courses', '/api/v1/courses?page=1', {}],
    ['GET /api/v1/courses/:slug', '/api/v1/courses/h3-course-1', {}],
  ];
  const totals = new Map<string, { requests: number; cpuMs: number; seconds: number }>();
  for (const s of servers)
    for (const [name, path, headers] of routes(s))
      await runLoad({
        name,
        url: s.url,
        connections: 32,
        durationSeconds: 1,
        paths: [path],
        headers,
        pids: [process.pid],
      });
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < 4; k++) {
      const order = r % 2 === 0 ? servers : [...servers].reverse();
      for (const s of order) {
        const [name, path, headers] = routes(s)[k]!;
        const res = await runLoad({
          name,
          url: s.url,
          connections: 32,
          durationSeconds: slice,
          paths: [path],
          headers,
          pids: [process.pid],
        });
        if (res.unexpected) throw new Error(`${name} unexpected ${res.unexpected}`);
        const key = `${s === servers[0] ? 'A' : 'B'} ${name}`;
        const t = totals.get(key) ?? { requests: 0, cpuMs: 0, seconds: 0 };
        t.requests += res.requests;
        t.cpuMs += res.cpuMsPerRequest * res.requests;
        t.seconds += res.durationSeconds;
        totals.set(key, t);
      }
    }
  }
  console.log(`A=${A} B=${B} rounds=${rounds} slice=${slice}s load=${(await import('node:os')).loadavg()[0]}`);
  for (const [name] of routes(servers[0]!)) {
    const a = totals.get(`A ${name}`)!,
      b = totals.get(`B ${name}`)!;
    const rpsA = a.requests / a.seconds,
      rpsB = b.requests / b.seconds,
      cA = a.cpuMs / a.requests,
      cB = b.cpuMs / b.requests;
    console.log(
      JSON.stringify({
        route: name,
        rpsA: Math.round(rpsA),
        rpsB: Math.round(rpsB),
        rpsRatio: +(rpsB / rpsA).toFixed(2),
        cpuMsA: +cA.toFixed(3),
        cpuMsB: +cB.toFixed(3),
        cpuRatio: +(cB / cA).toFixed(2),
      }),
    );
  }
} finally {
  for (const s of servers) await s.stop();
  await redis.stop();
  await pg.destroy();
}

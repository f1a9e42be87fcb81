import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signedInAs } from './support/catalog.js';
import { serverBackends } from './support/databases.js';
import { generateVideo } from './support/media.js';
import { freePort } from './support/private-services.js';
import { startTestServer, waitUntil, type TestServer } from './support/servers.js';
import { uploadThroughApi, watchUntilSettled } from './support/video-pipeline.js';

/**
 * /metrics of a real server, API only (no worker): where it is served and to whom, that queue
 * depth grows while nobody consumes the queue, and that every metric the alert rules and the
 * Grafana dashboard query is in the exposition.
 */

const TOKEN = 'metrics-token-for-tests-0123456789';
const DEPLOY = new URL('../../deploy/', import.meta.url);

/** Every sample in an exposition, by series text (`name{labels}`). */
function parseExposition(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const cut = line.lastIndexOf(' ');
    samples.set(line.slice(0, cut), Number(line.slice(cut + 1)));
  }
  return samples;
}

function metricNames(samples: Map<string, number>): Set<string> {
  return new Set([...samples.keys()].map((series) => series.split('{')[0]!));
}

const PROMQL_WORDS = new Set([
  'and',
  'or',
  'unless',
  'bool',
  'offset',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'inf',
  'nan',
]);

/**
 * The metric names a PromQL expression reads. Label matchers, ranges, grouping clauses and
 * strings go first (their words are not metrics); then every identifier that is not a function
 * call or a keyword is a metric name.
 */
function metricsInPromql(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = new Set<string>();
  for (const match of stripped.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*/g)) {
    const after = stripped.slice(match.index + match[0].length);
    if (/^\s*\(/.test(after) || PROMQL_WORDS.has(match[0].toLowerCase())) continue;
    // Exponents such as 1e3 and durations such as 5m are numbers, never names.
    if (/\d$/.test(stripped.slice(0, match.index))) continue;
    names.add(match[0]);
  }
  return [...names];
}

/** The `expr:` of every rule in a Prometheus rules file (block or inline scalars). */
function ruleExpressions(yaml: string): string[] {
  const lines = yaml.split('\n');
  const exprs: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^(\s*)expr:\s*(.*)$/.exec(lines[i]!);
    if (!m) continue;
    if (!/^[|>]/.test(m[2]!)) {
      exprs.push(m[2]!);
      continue;
    }
    const indent = m[1]!.length;
    const body: string[] = [];
    while (i + 1 < lines.length && (lines[i + 1]!.trim() === '' || /^\s*/.exec(lines[i + 1]!)![0].length > indent)) {
      body.push(lines[++i]!);
    }
    exprs.push(body.join('\n'));
  }
  return exprs;
}

interface DashboardPanel {
  targets?: { expr?: string }[];
  panels?: DashboardPanel[];
}

function dashboardExpressions(dashboard: { panels: DashboardPanel[] }): string[] {
  const walk = (panels: DashboardPanel[]): string[] =>
    panels.flatMap((p) => [...(p.targets ?? []).flatMap((t) => (t.expr ? [t.expr] : [])), ...walk(p.panels ?? [])]);
  return walk(dashboard.panels);
}

const ruleMetrics = [
  ...new Set(ruleExpressions(readFileSync(new URL('prometheus/alerts.yml', DEPLOY), 'utf8')).flatMap(metricsInPromql)),
];
const dashboard = JSON.parse(readFileSync(new URL('grafana/lectio-dashboard.json', DEPLOY), 'utf8')) as {
  panels: DashboardPanel[];
};
const dashboardMetrics = [...new Set(dashboardExpressions(dashboard).flatMap(metricsInPromql))];

describe('the metric names the checks below rely on', () => {
  it('are read from the rules and the dashboard', () => {
    expect(ruleMetrics.sort()).toEqual([
      'lectio_backup_last_success_timestamp_seconds',
      'lectio_disk_free_ratio',
      'lectio_http_request_duration_seconds_bucket',
      'lectio_http_requests_total',
      'lectio_queue_oldest_waiting_seconds',
      'process_cpu_seconds_total',
    ]);
    expect(dashboardMetrics).toEqual(
      expect.arrayContaining([
        'lectio_db_pool_connections',
        'lectio_cache_errors_total',
        'lectio_queue_jobs',
        'lectio_job_duration_seconds_bucket',
        'lectio_job_failures_total',
        'lectio_transcode_realtime_factor_bucket',
        'lectio_active_viewers',
        'process_resident_memory_bytes',
      ]),
    );
    expect(
      metricsInPromql('histogram_quantile(0.95, sum by (le, job) (rate(x_bucket{job=~"a.*"}[5m]))) > 1e3'),
    ).toEqual(['x_bucket']);
  });
});

describe.each(serverBackends())('/metrics (%s, API without a worker)', (backendName, setup) => {
  let server: TestServer;
  let dispose: (() => Promise<void>) | undefined;
  let metricsPort: number;

  beforeAll(async () => {
    const backend = await setup();
    dispose = backend.dispose;
    metricsPort = await freePort();
    server = await startTestServer(
      { ...backend.env, SEED_DEMO_DATA: 'false', METRICS_TOKEN: TOKEN, METRICS_PORT: String(metricsPort) },
      { api: true, worker: false },
    );
  });
  afterAll(async () => {
    await server?.stop();
    await dispose?.();
  });

  const internal = (path = '/metrics', init?: RequestInit) => fetch(`http://127.0.0.1:${metricsPort}${path}`, init);
  const scrape = async () => {
    const res = await internal();
    expect(res.status).toBe(200);
    return parseExposition(await res.text());
  };

  it('is served on the internal port without credentials, and nothing else is', async () => {
    const res = await internal();
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain; version=0.0.4');
    expect(await res.text()).toContain('# TYPE lectio_http_requests_total counter');
    expect((await internal('/health/live')).status).toBe(404);
    expect((await internal('/api/v1/courses')).status).toBe(404);
    expect((await internal('/metrics', { method: 'POST' })).status).toBe(404);
  });

  it('needs the bearer token on the public port', async () => {
    const get = (headers: Record<string, string>) => fetch(`${server.url}/metrics`, { headers });
    const anonymous = await get({});
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toContain('Bearer');
    expect(await anonymous.text()).not.toContain('lectio_');
    expect((await get({ authorization: `Bearer ${TOKEN}x` })).status).toBe(401);
    expect((await get({ authorization: `Bearer ${TOKEN.slice(0, -1)}` })).status).toBe(401);
    expect((await get({ authorization: TOKEN })).status).toBe(401);
    const ok = await get({ authorization: `Bearer ${TOKEN}` });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('lectio_queue_jobs');
    // Not an API operation: it stays out of the API document (and so out of the authz matrix).
    const openapi = (await (await fetch(`${server.url}/openapi.json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(openapi.paths)).not.toContain('/metrics');
  });

  it('shows the queue depth rising when jobs are enqueued with no worker running', async () => {
    const depth = async () => {
      const samples = await scrape();
      return {
        waiting: samples.get('lectio_queue_jobs{queue="default",state="waiting"}'),
        oldest: samples.get('lectio_queue_oldest_waiting_seconds{queue="default"}'),
      };
    };
    const before = await depth();
    expect(before.waiting).toBeTypeOf('number');
    for (let i = 1; i <= 3; i++) {
      await server.services.notifications.sendEmail({
        to: [`metrics-${i}@example.test`],
        subject: `queued ${i}`,
        text: 'nobody sends this: no worker runs',
      });
      expect((await depth()).waiting).toBe(before.waiting! + i);
    }
    // The oldest of them keeps ageing while nothing takes it.
    const first = (await depth()).oldest!;
    const later = await waitUntil(async () => {
      const { oldest } = await depth();
      return oldest! >= first + 0.5 ? oldest : undefined;
    }, 'the oldest waiting job to age');
    expect(later).toBeGreaterThan(first);
  });

  it('labels requests by route pattern, never by the raw URL', async () => {
    const slug = 'no-such-course-for-metrics';
    expect((await fetch(`${server.url}/api/v1/courses/${slug}`)).status).toBe(404);
    expect((await fetch(`${server.url}/api/v1/courses`)).status).toBe(200);
    const samples = await scrape();
    const series = [...samples.keys()].filter((k) => k.startsWith('lectio_http_requests_total{'));
    expect(series.join('\n')).not.toContain(slug);
    expect(
      samples.get('lectio_http_requests_total{method="GET",route="/api/v1/courses/:slug",status_code="404"}'),
    ).toBe(1);
    expect(samples.get('lectio_http_requests_total{method="GET",route="/api/v1/courses",status_code="200"}')).toBe(1);
    expect(
      samples.get('lectio_http_request_duration_seconds_count{method="GET",route="/api/v1/courses",status_code="200"}'),
    ).toBe(1);
  });

  it('has every metric the alert rules and the dashboard use', async () => {
    // Requests first, so the HTTP series have samples.
    await fetch(`${server.url}/health/live`);
    const samples = await scrape();
    const names = metricNames(samples);
    // PGlite is one in-process connection (no pool), and the embedded database is not backed up,
    // so those two are reported only on PostgreSQL.
    const notEmbedded = ['lectio_db_pool_connections', 'lectio_backup_last_success_timestamp_seconds'];
    const expected = [...new Set([...ruleMetrics, ...dashboardMetrics])].filter(
      (name) => backendName !== 'embedded' || !notEmbedded.includes(name),
    );
    expect(expected.filter((name) => !names.has(name))).toEqual([]);
    if (backendName !== 'embedded') {
      for (const state of ['in_use', 'idle', 'waiting']) {
        expect(samples.has(`lectio_db_pool_connections{pool="primary",state="${state}"}`)).toBe(true);
      }
    }
  });
});

describe(
  '/metrics of an all-in-one server with METRICS_PORT and no METRICS_TOKEN (embedded)',
  { timeout: 180_000 },
  () => {
    let server: TestServer;
    let metricsPort: number;
    const scratch = mkdtempSync(path.join(os.tmpdir(), 'lectio-metrics-video-'));
    beforeAll(async () => {
      metricsPort = await freePort();
      server = await startTestServer({
        SEED_DEMO_DATA: 'false',
        TRUST_PROXY: 'true',
        METRICS_PORT: String(metricsPort),
      });
    });
    afterAll(async () => {
      await server?.stop();
      rmSync(scratch, { recursive: true, force: true });
    });

    it('does not exist on the public port without a token configured, whatever the credentials', async () => {
      const res = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(res.status).toBe(404);
      expect(await res.text()).not.toContain('lectio_');
    });

    it('records the job run and the transcode speed of an upload made ready', async () => {
      const instructor = await signedInAs(server, 'instructor', '10.80.0.1');
      const file = await generateVideo(path.join(scratch, 'lecture.mp4'), { seconds: 4, width: 640, height: 360 });
      const video = await uploadThroughApi(instructor, file);
      const { final } = await watchUntilSettled(instructor, video.id);
      expect(final.status).toBe('ready');
      // The video turns ready inside the job; the job's own run is recorded when its handler returns.
      const samples = await waitUntil(async () => {
        const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
        const parsed = parseExposition(text);
        return parsed.get('lectio_job_duration_seconds_count{job="videos.transcode",outcome="completed"}') === 1
          ? parsed
          : undefined;
      }, 'the transcode job to be recorded');
      expect(samples.get('lectio_transcode_realtime_factor_count')).toBe(1);
      // The encode of a 4 s clip: its speed is media seconds over a positive wall time.
      expect(samples.get('lectio_transcode_realtime_factor_sum')).toBeGreaterThan(0);
      expect(samples.get('lectio_job_duration_seconds_count{job="videos.transcode",outcome="completed"}')).toBe(1);
      expect(samples.get('lectio_job_failures_total{job="videos.transcode"}')).toBe(0);
    });
  },
);

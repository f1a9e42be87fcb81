// The load generator: a separate Node process (so the client never shares an event loop with the
// server under test) that reads one load spec as JSON on stdin, runs autocannon and prints one JSON
// result on stdout. Plain JavaScript so it starts without a TypeScript loader. Used by load.ts.
import autocannon from 'autocannon';

const spec = JSON.parse(
  await new Promise((resolve) => {
    let text = '';
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (chunk) => (text += chunk));
    process.stdin.on('end', () => resolve(text));
  }),
);

const paths = spec.paths;
const bodies = spec.bodies ?? (spec.body !== undefined ? [spec.body] : undefined);
let nextPath = 0;
let nextBody = 0;
let nextClient = 0;

const instance = autocannon({
  url: spec.url,
  connections: spec.connections,
  duration: spec.durationSeconds,
  pipelining: 1,
  timeout: spec.timeoutSeconds ?? 10,
  method: spec.method ?? 'GET',
  headers: spec.headers ?? {},
  // An open loop at this many requests per second in all (optional; default: as fast as answered).
  ...(spec.rate ? { overallRate: spec.rate } : {}),
  // Each connection keeps its own identity (a signed-in student) for the whole run; with
  // requestsPerConnection it also keeps its own fixed request (its lesson, its playback session).
  setupClient:
    spec.headersPerConnection?.length || spec.requestsPerConnection?.length
      ? (client) => {
          const i = nextClient++;
          const own = spec.headersPerConnection?.length
            ? spec.headersPerConnection[i % spec.headersPerConnection.length]
            : {};
          const fixed = spec.requestsPerConnection?.[i % (spec.requestsPerConnection?.length || 1)];
          if (fixed) {
            client.setRequests([
              {
                method: spec.method ?? 'GET',
                path: fixed.path,
                headers: { ...(spec.headers ?? {}), ...own, ...(fixed.headers ?? {}) },
                ...(fixed.body !== undefined ? { body: fixed.body } : {}),
              },
            ]);
          } else client.setHeaders({ ...(spec.headers ?? {}), ...own });
        }
      : undefined,
  requests: [
    {
      setupRequest(req) {
        const out = { ...req, path: paths[nextPath++ % paths.length] };
        if (bodies) {
          const k = nextBody++;
          out.body = bodies[k % bodies.length];
          // Headers that belong to one body (a signature over its bytes), cycled with the bodies.
          if (spec.bodyHeaders) out.headers = { ...req.headers, ...spec.bodyHeaders[k % spec.bodyHeaders.length] };
        }
        return out;
      },
    },
  ],
});
instance.on('error', (error) => {
  console.error(error);
  process.exit(1);
});
const result = await instance;
const statusCounts = {};
for (const [code, stat] of Object.entries(result.statusCodeStats ?? {})) statusCounts[code] = stat.count;
process.stdout.write(
  JSON.stringify({
    requests: result.requests.total,
    durationSeconds: result.duration,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCounts,
    latencyMs: {
      mean: result.latency.mean,
      p50: result.latency.p50,
      p90: result.latency.p90,
      p99: result.latency.p99,
      max: result.latency.max,
    },
    bytesPerSecond: result.throughput.average,
  }),
);

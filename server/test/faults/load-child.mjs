/**
 * Steady load for the fault tests, in its own process (so the server's event loop and the load's
 * never share a thread): `concurrency` loops each send the next request of a list, one after the
 * other, until the parent says stop. Unlike bench/lib/load.ts (autocannon: totals only) it keeps
 * every answer, with its start time, so a test can ask what happened during the fault window:
 * which status, how long it took, whether a 503 carried Retry-After.
 *
 * Protocol (IPC): the parent sends { requests, concurrency, timeoutMs } on start and { stop: true }
 * to end; the child answers { results } and exits.
 */
let stopping = false;
let spec;

process.on('message', (message) => {
  if (message.stop) {
    stopping = true;
    return;
  }
  spec = message;
  void run();
});

let nextIp = 0;

async function one(request) {
  const ipSeed = (nextIp++ % 65_000) + 1;
  const started = Date.now();
  const t0 = performance.now();
  try {
    const res = await fetch(request.url, {
      method: request.method ?? 'GET',
      headers: {
        // A different address per request, so the per-IP rate limit never answers for the fault.
        'x-forwarded-for': `10.200.${(ipSeed >> 8) & 255}.${ipSeed & 255}`,
        ...(request.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...request.headers,
      },
      body: request.body,
      signal: AbortSignal.timeout(spec.timeoutMs),
    });
    await res.arrayBuffer();
    return {
      at: started,
      ms: performance.now() - t0,
      status: res.status,
      retryAfter: res.headers.get('retry-after'),
      name: request.name,
    };
  } catch (error) {
    const code = error?.name === 'TimeoutError' ? 'timeout' : (error?.cause?.code ?? error?.name ?? 'error');
    return { at: started, ms: performance.now() - t0, status: 0, error: String(code), name: request.name };
  }
}

async function run() {
  const results = [];
  let next = 0;
  const loops = Array.from({ length: spec.concurrency }, async () => {
    while (!stopping) {
      const request = spec.requests[next++ % spec.requests.length];
      const result = await one(request);
      results.push(result);
      // A refused connection fails at once: pause so the loop never spins without yielding (and
      // so the stop message is always read).
      if (result.status === 0) await new Promise((r) => setTimeout(r, 20));
      if (results.length > 500_000) stopping = true;
    }
  });
  await Promise.all(loops);
  process.send({ results }, () => process.exit(0));
}

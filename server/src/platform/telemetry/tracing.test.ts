import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startTracing, tracer, type Tracing } from './tracing.js';

/** The OTLP exporter is off unless configured, and sends to `<endpoint>/v1/traces` when it is. */

let tracing: Tracing | undefined;
afterEach(async () => {
  await tracing?.shutdown();
  tracing = undefined;
});

async function collector() {
  const received: { url: string | undefined; contentType: string | undefined; bytes: number }[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    let bytes = 0;
    req.on('data', (chunk: Buffer) => (bytes += chunk.length));
    req.on('end', () => {
      received.push({ url: req.url, contentType: req.headers['content-type'], bytes });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    received,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('startTracing', () => {
  it('without an endpoint records nothing but still gives each trace an id', () => {
    tracing = startTracing({ serviceName: 'lectio-test' });
    expect(tracing.exporting).toBe(false);
    const span = tracer().startSpan('request');
    expect(span.isRecording()).toBe(false);
    expect(span.spanContext().traceId).toMatch(/^(?!0{32})[0-9a-f]{32}$/);
    span.end();
  });

  it('with OTEL_EXPORTER_OTLP_ENDPOINT sends the spans there over OTLP/HTTP', async () => {
    const otlp = await collector();
    try {
      tracing = startTracing({ serviceName: 'lectio-test', otlpEndpoint: otlp.endpoint });
      expect(tracing.exporting).toBe(true);
      const span = tracer().startSpan('request');
      expect(span.isRecording()).toBe(true);
      span.end();
      await tracing.shutdown();
      expect(otlp.received).toHaveLength(1);
      expect(otlp.received[0]).toMatchObject({ url: '/v1/traces' });
      expect(otlp.received[0]!.bytes).toBeGreaterThan(0);
    } finally {
      await otlp.close();
    }
  });
});

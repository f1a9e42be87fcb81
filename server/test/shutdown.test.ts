import net from 'node:net';
import { once } from 'node:events';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/platform/telemetry/logger.js';
import { LogCapture } from './support/log-capture.js';
import { startTestServer, waitUntil, type TestServer } from './support/servers.js';

class Capture extends LogCapture<{ msg?: string; waitingFor?: string[] }> {}

/**
 * A stop finishes what is in flight. When that takes long (here a request whose body never ends),
 * the server says what it still waits for, so an operator whose process was killed at the end of
 * its grace period can tell which part hung.
 */
describe('a graceful stop that has to wait [embedded]', () => {
  let server: TestServer | undefined;
  let socket: net.Socket | undefined;
  afterAll(async () => {
    socket?.destroy();
    await server?.stop();
  });

  it('waits for the request in flight and says so until it ends', async () => {
    const capture = new Capture();
    server = await startTestServer(
      { SEED_DEMO_DATA: 'false' },
      { api: true, worker: true },
      { logger: createLogger({ level: 'info', name: 'lectio', destination: capture }), shutdownReportMs: 100 },
    );
    const { hostname, port } = new URL(server.url);
    socket = net.connect(Number(port), hostname);
    await once(socket, 'connect');
    // Headers and part of the body: the request is in flight until the rest arrives.
    socket.write(
      'POST /api/v1/auth/login HTTP/1.1\r\nHost: lectio.test\r\nContent-Type: application/json\r\n' +
        'Content-Length: 200\r\n\r\n{"email":',
    );
    await new Promise((resolve) => setTimeout(resolve, 200));

    let stopped = false;
    const stopping = server.stop().then(() => (stopped = true));
    const report = await waitUntil(
      async () => capture.lines().find((l) => l.msg === 'still shutting down'),
      'a report of what the stop waits for',
      10_000,
    );
    expect(report.waitingFor).toEqual(['HTTP requests in flight']);
    expect(stopped).toBe(false);

    socket.destroy();
    await stopping;
    expect(
      capture.lines().some((l) => l.msg === 'shutting down: no new requests or jobs; finishing what is in flight'),
    ).toBe(true);
  });
});

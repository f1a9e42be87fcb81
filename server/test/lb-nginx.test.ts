import { readFileSync } from 'node:fs';
import http from 'node:http';
import { get as httpsGet } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRequest, renderTemplate, selfSignedCertificate, startNginx, type Nginx } from './support/nginx.js';
import { freePort } from './support/private-services.js';

/**
 * deploy/nginx/lb.conf as deployed (real nginx, the template rendered) in front of two stand-in
 * instances that say who answered: TLS versions, the HTTP redirect, least_conn, passive health
 * checks, WebSocket and SSE pass-through, gzip, the design's cache lifetimes, limit_req and a log
 * without playback tokens. The same file in front of the real app, PgBouncer and Redis:
 * lb-cluster.test.ts.
 */

interface StandIn {
  name: string;
  port: number;
  seen: { url: string; headers: http.IncomingHttpHeaders }[];
  close(): Promise<void>;
}

const BIG_JSON = JSON.stringify({ items: Array.from({ length: 200 }, (_, i) => ({ id: i, title: `course ${i}` })) });

async function startStandIn(name: string): Promise<StandIn> {
  const seen: StandIn['seen'] = [];
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    const url = req.url ?? '';
    seen.push({ url, headers: req.headers });
    res.setHeader('x-instance', name);
    const send = (type: string, body: string | Buffer, cacheControl?: string) => {
      res.setHeader('content-type', type);
      if (cacheControl) res.setHeader('cache-control', cacheControl);
      res.end(body);
    };
    if (url.startsWith('/slow')) {
      setTimeout(() => send('text/plain', name), 1500);
    } else if (url === '/api/v1/events') {
      // An SSE stream: the first event must reach the client before the second is written.
      res.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-store',
        'x-accel-buffering': 'no',
      });
      res.write('data: one\n\n');
      setTimeout(() => res.end('data: two\n\n'), 700);
    } else if (url.startsWith('/api/')) {
      send('application/json; charset=utf-8', BIG_JSON, 'no-store');
    } else if (url.startsWith('/assets/')) {
      send('application/javascript', 'console.log(1);'.repeat(200), 'public, max-age=31536000, immutable');
    } else if (url.startsWith('/storage/')) {
      send('image/jpeg', Buffer.alloc(2048, 1), 'public, max-age=31536000, immutable');
    } else if (url.endsWith('.m3u8')) {
      send('application/vnd.apple.mpegurl', '#EXTM3U\n', 'public, max-age=31536000, immutable');
    } else if (url.endsWith('.ts')) {
      send('video/mp2t', Buffer.alloc(4096, 7), 'public, max-age=31536000, immutable');
    } else if (url.endsWith('.jpg')) {
      send('image/jpeg', Buffer.alloc(2048, 2), 'public, max-age=31536000, immutable');
    } else {
      // The web app's index.html (the app itself sends no-cache; the design says 5 minutes).
      send(
        'text/html; charset=utf-8',
        `<!doctype html><title>${name}</title>` + '<p>Lectio</p>'.repeat(200),
        'no-cache',
      );
    }
  });
  // WebSocket stand-in: accept the upgrade and echo what follows.
  server.on('upgrade', (req, socket: Socket) => {
    seen.push({ url: req.url ?? '', headers: req.headers });
    socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
    socket.pipe(socket);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    name,
    port: (server.address() as AddressInfo).port,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        if (!server.listening) return resolve();
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}

describe('nginx load balancer (deploy/nginx/lb.conf) in front of stand-in instances', () => {
  let a: StandIn;
  let b: StandIn;
  let lb: Nginx;
  let ca: string;
  let httpsPort: number;
  let httpPort: number;
  let accessLog: string;
  const https = (req: Parameters<typeof rawRequest>[1]) => rawRequest({ port: httpsPort, ca }, req);

  beforeAll(async () => {
    a = await startStandIn('a');
    b = await startStandIn('b');
    httpsPort = await freePort();
    httpPort = await freePort();
    lb = await startNginx({
      ports: [httpsPort, httpPort],
      http: (dir) => {
        const { cert, key } = selfSignedCertificate(dir);
        ca = readFileSync(cert, 'utf8');
        accessLog = path.join(dir, 'access.log');
        return renderTemplate('lb.conf', {
          LECTIO_LB_HTTPS_LISTEN: `127.0.0.1:${httpsPort}`,
          LECTIO_LB_HTTP_LISTEN: `127.0.0.1:${httpPort}`,
          LECTIO_TLS_CERTIFICATE: cert,
          LECTIO_TLS_CERTIFICATE_KEY: key,
          LECTIO_API_1: `127.0.0.1:${a.port}`,
          LECTIO_API_2: `127.0.0.1:${b.port}`,
          LECTIO_LB_ACCESS_LOG: accessLog,
          LECTIO_LB_TRUSTED_PROXY: '127.0.0.50/32',
        });
      },
    });
  });

  afterAll(async () => {
    await lb?.stop();
    await a?.close();
    await b?.close();
  });

  it('speaks TLS 1.2 and 1.3 only, with a certificate that verifies; plain HTTP only redirects', async () => {
    const handshake = (options: tls.ConnectionOptions, port = httpsPort) =>
      new Promise<string>((resolve, reject) => {
        const socket = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca, ...options }, () => {
          const protocol = socket.getProtocol() ?? '';
          socket.end();
          resolve(protocol);
        });
        socket.once('error', reject);
      });
    expect(await handshake({ minVersion: 'TLSv1.3' })).toBe('TLSv1.3');
    expect(await handshake({ maxVersion: 'TLSv1.2' })).toBe('TLSv1.2');

    // A client that offers only TLS 1.1 is turned away by nginx. The same client does complete a
    // TLS 1.1 handshake with a server that allows it, so the refusal is nginx's, not the client's.
    const old: tls.ConnectionOptions = {
      minVersion: 'TLSv1',
      maxVersion: 'TLSv1.1',
      ciphers: 'DEFAULT@SECLEVEL=0',
      rejectUnauthorized: false,
    };
    const lenient = tls.createServer({
      key: readFileSync(path.join(lb.dir, 'lb.key')),
      cert: ca,
      minVersion: 'TLSv1',
      ciphers: 'DEFAULT@SECLEVEL=0',
    });
    await new Promise<void>((resolve) => lenient.listen(0, '127.0.0.1', resolve));
    try {
      expect(await handshake(old, (lenient.address() as AddressInfo).port)).toBe('TLSv1.1');
    } finally {
      lenient.close();
    }
    await expect(handshake(old)).rejects.toThrow(/protocol|version|alert/i);

    const plain = await rawRequest({ port: httpPort }, { path: '/courses?page=2' });
    expect(plain.status).toBe(301);
    expect(plain.headers.location).toBe('https://127.0.0.1/courses?page=2');
    expect(a.seen.concat(b.seen).some((r) => r.url.startsWith('/courses'))).toBe(false);

    const secure = await https({ path: '/api/v1/courses' });
    expect(secure.status).toBe(200);
    expect(secure.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
  });

  it('sends the client address and a request id to the app, believing X-Forwarded-For only from the edge', async () => {
    const res = await https({
      path: '/api/v1/whoami',
      headers: { 'x-forwarded-for': '203.0.113.9', 'x-request-id': 'req-from-client-1' },
      localAddress: '127.0.0.23',
    });
    expect(res.status).toBe(200);
    const reached = [...a.seen, ...b.seen].find((r) => r.url === '/api/v1/whoami')!;
    expect(reached.headers['x-forwarded-for']).toBe('127.0.0.23');
    expect(reached.headers['x-forwarded-proto']).toBe('https');
    expect(reached.headers['x-request-id']).toBe('req-from-client-1');
    expect(res.headers['x-request-id']).toBe('req-from-client-1');
    // Keep-alive to the instances: nginx does not ask the app to close the connection.
    expect(reached.headers.connection ?? '').not.toMatch(/close/i);
    // Through the trusted edge (127.0.0.50 here), its X-Forwarded-For names the viewer.
    await https({
      path: '/api/v1/via-edge',
      headers: { 'x-forwarded-for': '198.51.100.7' },
      localAddress: '127.0.0.50',
    });
    const viaEdge = [...a.seen, ...b.seen].find((r) => r.url === '/api/v1/via-edge')!;
    expect(viaEdge.headers['x-forwarded-for']).toBe('198.51.100.7');
    const generated = await https({ path: '/api/v1/whoami' });
    expect(generated.headers['x-request-id']).toMatch(/^[0-9a-f]{32}$/);
  });

  it('applies the design’s cache lifetimes and compresses text', async () => {
    const cacheControl = async (target: string, headers: Record<string, string> = {}) =>
      (await https({ path: target, headers })).headers['cache-control'];
    expect(await cacheControl('/courses/intro', { accept: 'text/html' })).toBe('public, max-age=300');
    expect(await cacheControl('/assets/index-3f9a1c.js')).toBe('public, max-age=31536000, immutable');
    expect(await cacheControl('/storage/thumbnails/cover-640.jpg')).toBe('public, max-age=604800');
    const videoId = '3f6c2a1e-8b4d-4c7e-9a10-5d2e7f8b9c01';
    expect(await cacheControl(`/media/p/tok/videos/${videoId}/v1/720p/seg_00001.ts`)).toBe('public, max-age=2592000');
    expect(await cacheControl(`/media/p/tok/videos/${videoId}/v1/master.m3u8`)).toBe('public, max-age=2592000');
    expect(await cacheControl(`/media/p/tok/videos/${videoId}/v1/poster.jpg`)).toBe('public, max-age=604800');
    // The API keeps the app's own header.
    expect(await cacheControl('/api/v1/courses')).toBe('no-store');

    const gzipped = await https({ path: '/api/v1/courses', headers: { 'accept-encoding': 'gzip' } });
    expect(gzipped.headers['content-encoding']).toBe('gzip');
    expect(gzipped.headers.vary).toMatch(/accept-encoding/i);
    expect(gunzipSync(gzipped.body).toString()).toBe(BIG_JSON);
    expect(gzipped.body.length).toBeLessThan(BIG_JSON.length / 3);
    const segment = await https({
      path: `/media/p/tok/videos/${videoId}/v1/720p/seg_00002.ts`,
      headers: { 'accept-encoding': 'gzip' },
    });
    expect(segment.headers['content-encoding']).toBeUndefined();
  });

  it('passes WebSocket upgrades and streams server-sent events unbuffered', async () => {
    const echoed = await new Promise<string>((resolve, reject) => {
      const socket = tls.connect({ host: '127.0.0.1', port: httpsPort, servername: 'localhost', ca }, () => {
        socket.write(
          'GET /api/v1/live HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
            'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
        );
      });
      let received = '';
      socket.on('data', (chunk: Buffer) => {
        received += chunk.toString();
        if (received.includes('\r\n\r\n') && !received.includes('ping-through-lb')) socket.write('ping-through-lb');
        if (received.endsWith('ping-through-lb')) {
          socket.end();
          resolve(received);
        }
      });
      socket.once('error', reject);
      setTimeout(() => reject(new Error(`no echo: ${received}`)), 5000);
    });
    expect(echoed).toMatch(/^HTTP\/1\.1 101 /);
    expect(echoed).toContain('ping-through-lb');

    // The first event arrives while the instance is still holding the stream open.
    const started = Date.now();
    const timing = await new Promise<{ first: number; end: number; body: string }>((resolve, reject) => {
      let first = 0;
      let body = '';
      const request = httpsGet(
        { host: '127.0.0.1', port: httpsPort, path: '/api/v1/events', ca, servername: 'localhost', agent: false },
        (res) => {
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            first ||= Date.now() - started;
            body += chunk;
          });
          res.on('end', () => resolve({ first, end: Date.now() - started, body }));
        },
      );
      request.on('error', reject);
    });
    expect(timing.body).toBe('data: one\n\ndata: two\n\n');
    expect(timing.end).toBeGreaterThanOrEqual(650);
    expect(timing.first).toBeLessThan(500);
  });

  it('sends a request to the instance with the fewest open connections (least_conn)', async () => {
    const slow = https({ path: '/slow' });
    await new Promise((r) => setTimeout(r, 200));
    const busy = a.seen.some((r) => r.url === '/slow') ? a : b;
    const idle = busy === a ? b : a;
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push((await https({ path: `/api/v1/quick-${i}` })).headers['x-instance']);
    expect(answers).toEqual([idle.name, idle.name, idle.name, idle.name]);
    expect((await slow).status).toBe(200);
  });

  it('limits the request rate per client at the edge of the API, not for other clients', async () => {
    const burst = await Promise.all(
      Array.from({ length: 70 }, (_, i) => https({ path: `/api/v1/burst-${i}`, localAddress: '127.0.0.41' })),
    );
    const limited = burst.filter((r) => r.status === 429).length;
    // burst=40 on top of 20/s: about 41 pass at once, the rest wait for the next second.
    expect(limited).toBeGreaterThanOrEqual(20);
    expect(burst.filter((r) => r.status === 200).length).toBeGreaterThanOrEqual(40);
    expect((await https({ path: '/api/v1/other', localAddress: '127.0.0.42' })).status).toBe(200);
    // Health checks and static files are not limited.
    expect((await https({ path: '/health/ready', localAddress: '127.0.0.41' })).status).toBe(200);
    expect((await https({ path: '/assets/x-1.js', localAddress: '127.0.0.41' })).status).toBe(200);
  });

  it('logs requests as JSON without playback tokens', async () => {
    const token = '1900000000.anonymous.' + 'S'.repeat(43);
    await https({ path: `/media/p/${token}/videos/3f6c2a1e-8b4d-4c7e-9a10-5d2e7f8b9c01/v1/master.m3u8` });
    const lines = readFileSync(accessLog, 'utf8').trim().split('\n');
    const entries = lines.map((line) => JSON.parse(line) as { path: string; upstream: string; tls: string });
    expect(readFileSync(accessLog, 'utf8')).not.toContain(token);
    expect(entries.at(-1)).toMatchObject({
      path: '/media/p/-/videos/3f6c2a1e-8b4d-4c7e-9a10-5d2e7f8b9c01/v1/master.m3u8',
      tls: expect.stringMatching(/^TLSv1\.[23]$/),
    });
  });

  it('keeps serving when an instance goes away, and stops trying it (passive health check)', async () => {
    await b.close();
    const before = a.seen.length;
    const results = [];
    for (let i = 0; i < 12; i++) results.push(await https({ path: `/api/v1/after-stop-${i}` }));
    expect(results.map((r) => r.status)).toEqual(Array(12).fill(200));
    expect(results.every((r) => r.headers['x-instance'] === 'a')).toBe(true);
    expect(a.seen.length - before).toBe(12);
    // nginx tried the stopped instance at most max_fails (2) times, then left it out.
    const refused = lb.errors().match(new RegExp(`connect\\(\\) failed .*127\\.0\\.0\\.1:${b.port}`, 'g')) ?? [];
    expect(refused.length).toBeGreaterThanOrEqual(1);
    expect(refused.length).toBeLessThanOrEqual(2);
  });
});

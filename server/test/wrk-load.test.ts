import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runWrkLoad, wrkRequestLines } from '../../bench/baselines/wrk-load.js';

/**
 * The benches' wrk client (Debian's wrk driven by bench/baselines/wrk-paths.lua) against a server
 * this test starts on 127.0.0.1: what it sends (method, path, body, headers) and how it counts the
 * answers, since the scale-out check's "every answer right" rests on that count.
 */
describe('wrk load client', { timeout: 30_000 }, () => {
  let server: Server;
  let url: string;
  const seen = new Map<
    string,
    { method: string; body: string; student: string | undefined; bench: string | undefined }
  >();

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        const student = req.headers['x-student'] as string | undefined;
        seen.set(`${req.method} ${req.url}`, {
          method: req.method!,
          body,
          student,
          bench: req.headers['x-bench'] as string,
        });
        if (req.url === '/missing') res.writeHead(404).end('no');
        else if (req.method === 'POST') res.writeHead(202).end();
        else res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('counts each status code when asked, and calls the ones outside expectStatus unexpected', async () => {
    const result = await runWrkLoad(
      { name: 'mixed', url, connections: 2, durationSeconds: 1, paths: ['/ok', '/missing'], pids: [process.pid] },
      { statuses: true },
    );
    const ok = result.statusCounts['200'] ?? 0;
    const missing = result.statusCounts['404'] ?? 0;
    expect(ok).toBeGreaterThan(0);
    expect(missing).toBeGreaterThan(0);
    expect(ok + missing).toBe(result.requests);
    expect(result.unexpected).toBe(missing);
  });

  it('sends each request with its own method, body and headers, plus the headers of every request', async () => {
    const requests = ['s1', 's2'].map((s) => ({
      path: `/lessons/${s}/progress`,
      body: JSON.stringify({ sessionId: s, watched: [[10, 11]] }),
      headers: { 'x-student': s },
    }));
    const result = await runWrkLoad(
      {
        name: 'posts',
        url,
        connections: 2,
        durationSeconds: 1,
        method: 'POST',
        paths: ['/'],
        headers: { 'x-bench': 'yes' },
        requestsPerConnection: requests,
        expectStatus: [202],
        pids: [process.pid],
      },
      { statuses: true },
    );
    expect(result.requests).toBeGreaterThan(0);
    expect(result.statusCounts).toEqual({ '202': result.requests });
    expect(result.unexpected).toBe(0);
    for (const s of ['s1', 's2']) {
      expect(seen.get(`POST /lessons/${s}/progress`)).toEqual({
        method: 'POST',
        body: JSON.stringify({ sessionId: s, watched: [[10, 11]] }),
        student: s,
        bench: 'yes',
      });
    }
  });

  it('without status counts, tells 2xx/3xx from the rest as wrk does', async () => {
    const result = await runWrkLoad({
      name: 'plain',
      url,
      connections: 2,
      durationSeconds: 1,
      paths: ['/ok', '/missing'],
      pids: [process.pid],
    });
    expect(Object.keys(result.statusCounts).sort()).toEqual(['2xx/3xx', 'other']);
    expect(result.unexpected).toBe(result.statusCounts.other);
  });

  it('refuses what it cannot send as asked', () => {
    const base = { name: 'bad', url, connections: 1, durationSeconds: 1, paths: ['/ok'], pids: [] };
    expect(() => wrkRequestLines({ ...base, bodies: ['{}'] })).toThrow(/not bodies/);
    expect(() =>
      wrkRequestLines({ ...base, method: 'POST', requestsPerConnection: [{ path: '/a', body: 'x\ty' }] }),
    ).toThrow(/tab or newline/);
  });
});

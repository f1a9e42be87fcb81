import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent as HttpsAgent } from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signedMediaPath } from '../src/modules/playback/token.js';
import { LocalStorage } from '../src/platform/storage/local.js';
import {
  NGINX_DIR,
  rawRequest,
  renderTemplate,
  selfSignedCertificate,
  startNginx,
  type Nginx,
} from './support/nginx.js';
import { createPostgresDatabase, type TestDatabase } from './support/databases.js';
import { freePort } from './support/private-services.js';
import { startTestServer, type TestServer } from './support/servers.js';

/**
 * deploy/nginx/edge.conf as the CDN in front of deploy/nginx/lb.conf in front of Lectio (its real
 * media route, files in its storage): 50 viewers with 50 different tokens watch one lesson; the
 * origin is asked once per file; forged, expired and swapped tokens are refused at the edge and
 * never reach the origin. Origin fetches are counted in the load balancer's access log.
 */

const KEY = 'edge-test-playback-signing-key-0123456789';
const OTHER_KEY = 'not-the-edge-key-but-long-enough-0123456789';
const VIEWERS = 50;

interface EdgeLogEntry {
  path: string;
  status: number;
  cache: string;
  denied: string;
}

describe('nginx edge (deploy/nginx/edge.conf): 50 viewers of one lesson', { timeout: 120_000 }, () => {
  const videoId = randomUUID();
  const otherVideoId = randomUUID();
  const certDir = mkdtempSync(path.join(os.tmpdir(), 'lectio-edge-tls-'));
  let app: TestServer;
  let database: TestDatabase;
  let lb: Nginx;
  let edge: Nginx;
  let edgePort: number;
  let lbLog: string;
  let edgeLog: string;
  let ca: string;
  const files = new Map<string, Buffer>();

  const originFetches = () =>
    readFileSync(lbLog, 'utf8')
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { path: string; status: number })
      .filter((e) => e.path.startsWith('/media/'));
  const edgeEntries = () =>
    readFileSync(edgeLog, 'utf8')
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as EdgeLogEntry);

  beforeAll(async () => {
    // The origin needs no data of its own for media; PostgreSQL starts it faster than PGlite.
    database = await createPostgresDatabase({ migrate: false });
    app = await startTestServer(
      { PLAYBACK_SIGNING_KEY: KEY, DATABASE_URL: database.url!, QUEUE_BACKEND: 'embedded' },
      { api: true, worker: false },
    );
    // One lesson as the pipeline publishes it: master playlist, a rendition, segments, a poster.
    const segments = Array.from({ length: 10 }, (_, i) => `v1/720p/seg_${String(i).padStart(5, '0')}.ts`);
    files.set('v1/master.m3u8', Buffer.from('#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=2500000\n720p/index.m3u8\n'));
    files.set(
      'v1/720p/index.m3u8',
      Buffer.from(
        `#EXTM3U\n#EXT-X-TARGETDURATION:6\n${segments.map((s) => `#EXTINF:6.0,\n${path.basename(s)}`).join('\n')}\n#EXT-X-ENDLIST\n`,
      ),
    );
    for (const s of segments) files.set(s, randomBytes(48 * 1024));
    files.set('v1/poster.jpg', randomBytes(16 * 1024));
    const storage = new LocalStorage({
      root: path.join(app.dataDir, 'storage'),
      publicUrl: app.url,
      signingSecret: 'edge-test-storage-secret',
    });
    for (const [rest, body] of files) await storage.putObject('videos-processed', `${videoId}/${rest}`, body);

    const { cert, key } = selfSignedCertificate(certDir);
    ca = readFileSync(cert, 'utf8');
    const appPort = new URL(app.url).port;
    const lbPort = await freePort();
    const lbHttpPort = await freePort();
    lb = await startNginx({
      ports: [lbPort, lbHttpPort],
      http: (dir) => {
        lbLog = path.join(dir, 'access.log');
        return renderTemplate('lb.conf', {
          LECTIO_LB_HTTPS_LISTEN: `127.0.0.1:${lbPort}`,
          LECTIO_LB_HTTP_LISTEN: `127.0.0.1:${lbHttpPort}`,
          LECTIO_TLS_CERTIFICATE: cert,
          LECTIO_TLS_CERTIFICATE_KEY: key,
          // One app instance, named twice (nginx allows it): the edge is what is under test.
          LECTIO_API_1: `127.0.0.1:${appPort}`,
          LECTIO_API_2: `127.0.0.1:${appPort}`,
          LECTIO_LB_ACCESS_LOG: lbLog,
          LECTIO_LB_TRUSTED_PROXY: '127.0.0.1/32',
        });
      },
    });
    edgePort = await freePort();
    edge = await startNginx({
      ports: [edgePort],
      njs: true,
      main: ['env PLAYBACK_SIGNING_KEY;'],
      env: { PLAYBACK_SIGNING_KEY: KEY },
      http: (dir) => {
        edgeLog = path.join(dir, 'access.log');
        return renderTemplate('edge.conf', {
          LECTIO_EDGE_LISTEN: `127.0.0.1:${edgePort}`,
          LECTIO_EDGE_TLS_CERTIFICATE: cert,
          LECTIO_EDGE_TLS_CERTIFICATE_KEY: key,
          LECTIO_EDGE_CACHE_DIR: path.join(dir, 'cache'),
          LECTIO_NGINX_DIR: NGINX_DIR,
          LECTIO_EDGE_ORIGIN: `127.0.0.1:${lbPort}`,
          LECTIO_EDGE_ORIGIN_NAME: 'localhost',
          LECTIO_EDGE_ORIGIN_CA: cert,
          LECTIO_EDGE_ACCESS_LOG: edgeLog,
        });
      },
    });
  });

  afterAll(async () => {
    await edge?.stop();
    await lb?.stop();
    await app?.stop();
    await database?.dispose();
    rmSync(certDir, { recursive: true, force: true });
  });

  it('fetches each file from the origin once for all viewers (hit ratio ≥ 90 %)', async () => {
    const order = [
      'v1/master.m3u8',
      'v1/720p/index.m3u8',
      'v1/poster.jpg',
      ...[...files.keys()].filter((k) => k.endsWith('.ts')),
    ];
    const expiresAt = Math.floor(Date.now() / 1000) + 3600;
    const started = Date.now();
    // A class joining over about a second, each viewer with a grant of their own.
    const received = await Promise.all(
      Array.from({ length: VIEWERS }, async (_, v) => {
        await new Promise((r) => setTimeout(r, v * 20));
        const uid = randomUUID();
        const agent = new HttpsAgent({ keepAlive: true, maxSockets: 1 });
        const statuses: string[] = [];
        try {
          for (const rest of order) {
            const res = await rawRequest(
              { port: edgePort, ca, agent },
              { path: signedMediaPath(KEY, { videoId, uid, expiresAt }, rest) },
            );
            expect(res.status, rest).toBe(200);
            expect(createHash('sha256').update(res.body).digest('hex'), rest).toBe(
              createHash('sha256').update(files.get(rest)!).digest('hex'),
            );
            statuses.push(String(res.headers['x-cache-status']));
            if (rest.endsWith('.ts')) expect(res.headers['cache-control']).toBe('public, max-age=2592000');
            if (rest.endsWith('.jpg')) expect(res.headers['cache-control']).toBe('public, max-age=604800');
          }
        } finally {
          agent.destroy();
        }
        return statuses;
      }),
    );
    const all = received.flat();
    const fetched = originFetches();
    const hits = all.filter((s) => s === 'HIT').length;
    console.log(
      `edge: ${all.length} viewer requests in ${Date.now() - started} ms, ${fetched.length} origin fetches for ` +
        `${files.size} files, ${hits} hits (${((100 * hits) / all.length).toFixed(1)} %)`,
    );
    expect(all).toHaveLength(VIEWERS * files.size);
    // Exactly one origin fetch per distinct file, whatever the token.
    expect(fetched).toHaveLength(files.size);
    expect(new Set(fetched.map((e) => e.path)).size).toBe(files.size);
    expect(fetched.every((e) => e.status === 200)).toBe(true);
    expect(1 - fetched.length / all.length).toBeGreaterThanOrEqual(0.9);
    expect(hits / all.length).toBeGreaterThanOrEqual(0.9);
  });

  it('refuses forged, tampered, expired and swapped tokens at the edge, even for cached files', async () => {
    const now = Math.floor(Date.now() / 1000);
    const uid = randomUUID();
    const rest = 'v1/720p/seg_00003.ts';
    const good = signedMediaPath(KEY, { videoId, uid, expiresAt: now + 600 }, rest);
    const tokenOfOther = signedMediaPath(KEY, { videoId: otherVideoId, uid, expiresAt: now + 600 }, rest).split('/')[3];
    const [, , , token] = good.split('/');
    const lastChar = token!.at(-1) === 'A' ? 'B' : 'A';
    const forged: [string, string][] = [
      [signedMediaPath(OTHER_KEY, { videoId, uid, expiresAt: now + 600 }, rest), 'bad_signature'],
      [good.replace(token!, token!.slice(0, -1) + lastChar), 'bad_signature'],
      [good.replace(`${now + 600}.`, `${now + 6000}.`), 'bad_signature'],
      [signedMediaPath(KEY, { videoId, uid, expiresAt: now - 10 }, rest), 'expired'],
      [`/media/p/${tokenOfOther}/videos/${videoId}/${rest}`, 'bad_signature'],
      [`/media/p/${token}/videos/${videoId}/v1/../v1/720p/seg_00003.ts`, 'malformed'],
      [`/media/p/${token}/videos/${videoId}/${rest}?token=ignored`, ''],
      [`/videos/${videoId}/${rest}`, 'not-media'],
    ];
    const before = originFetches().length;
    for (const [target, reason] of forged) {
      const res = await rawRequest({ port: edgePort, ca }, { path: target });
      if (reason === '') {
        // A query string changes nothing: still the one cached file.
        expect(res.status, target).toBe(200);
        expect(res.headers['x-cache-status']).toBe('HIT');
      } else if (reason === 'not-media') {
        // The unsigned object path is not served from the cache: it goes to the app, which has no such route.
        expect(res.status, target).toBe(404);
      } else {
        expect(res.status, target).toBe(403);
        expect(res.headers['x-playback-denied'], target).toBe(reason);
        expect(res.headers['cache-control']).toBe('no-store');
        expect(JSON.parse(res.body.toString())).toMatchObject({
          error: { code: reason === 'expired' ? 'playback_token_expired' : 'playback_token_invalid' },
        });
      }
    }
    expect(originFetches().length - before, 'no media request reached the origin').toBe(0);
    const denied = edgeEntries().filter((e) => e.path.startsWith('/media/') && e.denied !== '');
    expect(denied.length).toBe(forged.filter(([, r]) => r !== '' && r !== 'not-media').length);
    expect(denied.every((e) => e.status === 403 && e.cache === '')).toBe(true);
    // The log keeps no token.
    expect(readFileSync(edgeLog, 'utf8')).not.toContain(token);
  });
});

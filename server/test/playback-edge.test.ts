import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildPlaybackFunction,
  CLOUDFRONT_FUNCTION_MAX_BYTES,
  PLAYBACK_FUNCTION_SOURCE,
} from '../../infra/cloudfront/build-playback-function.js';
import {
  renderUrl,
  type PlaybackTokenVectors,
  type VectorCase,
} from '../src/modules/playback/token-vectors.generate.js';
import { signedMediaPath } from '../src/modules/playback/token.js';
import { freePort } from './support/private-services.js';

/**
 * The two edge verifiers of playback tokens against the shared vectors (token-vectors.json), the
 * same ones token.ts passes: the CloudFront Function run in a vm with a stopped clock, and the
 * nginx edge as deployed (deploy/nginx: real nginx + njs) in front of a stand-in app that records
 * what reaches it. Needs no database.
 */

const repo = fileURLToPath(new URL('../../', import.meta.url));
const vectors = JSON.parse(
  readFileSync(path.join(repo, 'server/src/modules/playback/token-vectors.json'), 'utf8'),
) as PlaybackTokenVectors;
const reasonOf = (c: VectorCase) => (c.expect.ok ? 'ok' : c.expect.reason);

interface CloudFrontRequest {
  method: string;
  uri: string;
  querystring: Record<string, { value: string }>;
  headers: Record<string, { value: string }>;
  cookies: Record<string, { value: string }>;
}
interface CloudFrontResponse {
  statusCode: number;
  statusDescription: string;
  headers: Record<string, { value: string }>;
}

/** Loads the function as CloudFront would run it: a script whose `handler` is called per request. */
function loadCloudFrontFunction(code: string) {
  const clock = { nowMs: 0 };
  const context = vm.createContext({
    // CloudFront's runtime offers `crypto` (createHmac with base64url digests) and nothing to reach out with.
    require: (name: string) => {
      if (name !== 'crypto') throw new Error(`CloudFront Functions have no module ${name}`);
      return crypto;
    },
    testClock: clock,
  });
  vm.runInContext('Date.now = function () { return testClock.nowMs; };', context);
  vm.runInContext(code, context, { filename: 'playback-token-function.js' });
  const handler = context.handler as (event: unknown) => CloudFrontRequest | CloudFrontResponse;
  return (url: string, nowSeconds: number) => {
    clock.nowMs = nowSeconds * 1000 + 999; // late in the second: expiry is by whole seconds
    const [uri = '', query] = url.split('?');
    const querystring: CloudFrontRequest['querystring'] = {};
    for (const [name, value] of new URLSearchParams(query ?? '')) querystring[name] = { value };
    return handler({
      version: '1.0',
      context: { eventType: 'viewer-request' },
      viewer: { ip: '198.51.100.7' },
      request: { method: 'GET', uri, querystring, headers: { host: { value: 'media.example.com' } }, cookies: {} },
    });
  };
}

describe('CloudFront Function: playback token vectors', () => {
  const code = buildPlaybackFunction(vectors.key);
  const viewerRequest = loadCloudFrontFunction(code);

  it('fits CloudFront’s 10 KB limit once the key is in', () => {
    expect(Buffer.byteLength(code)).toBeLessThanOrEqual(CLOUDFRONT_FUNCTION_MAX_BYTES);
    expect(code).not.toContain('@@PLAYBACK_SIGNING_KEY@@');
  });

  it.each(vectors.cases.map((c) => [c.name, c] as const))('%s', (_name, testCase) => {
    const result = viewerRequest(testCase.url, vectors.now);
    if (testCase.expect.ok) {
      // Rewritten to the object's key in videos-processed: no token, so no token in the cache key.
      const { videoId, rest } = testCase.expect;
      expect(result).toMatchObject({ uri: `/${videoId}/${rest}`, querystring: {} });
    } else {
      expect(result).toMatchObject({
        statusCode: 403,
        headers: { 'x-playback-denied': { value: testCase.expect.reason }, 'cache-control': { value: 'no-store' } },
      });
    }
  });

  it('refuses everything when deployed without its key (placeholder left in), even a token signed with the placeholder', () => {
    const unbuilt = loadCloudFrontFunction(readFileSync(PLAYBACK_FUNCTION_SOURCE, 'utf8'));
    const claims = { videoId: '3f6c2a1e-8b4d-4c7e-9a10-5d2e7f8b9c01', uid: 'anonymous', expiresAt: vectors.now + 60 };
    for (const key of ['@@PLAYBACK_SIGNING_KEY@@', vectors.key]) {
      expect(unbuilt(signedMediaPath(key, claims, 'v1/master.m3u8'), vectors.now)).toMatchObject({ statusCode: 403 });
    }
  });

  it('will not be built with a short key', () => {
    expect(() => buildPlaybackFunction('too-short')).toThrow(/32 characters/);
  });
});

const NGINX = existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : 'nginx';
const NJS_MODULE = '/usr/lib/nginx/modules/ngx_http_js_module.so';

interface Upstream {
  port: number;
  /** Request targets the app received, in order. */
  seen: string[];
  close(): Promise<void>;
}

/** Stands in for the app's media route: answers any signed path with the object's name. */
async function startUpstream(): Promise<Upstream> {
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    seen.push(req.url ?? '');
    const object = /^\/media\/p\/[^/]+(\/videos\/[^?]*)/.exec(req.url ?? '')?.[1] ?? '?';
    res.writeHead(200, {
      'content-type': 'application/octet-stream',
      'cache-control': 'public, max-age=31536000, immutable',
      'access-control-allow-origin': '*',
    });
    res.end(`object ${object}`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    seen,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

interface EdgeResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A raw request target, as a player or an attacker sends it: nothing normalised on the way. */
function get(port: number, target: string): Promise<EdgeResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: target, method: 'GET', agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

function renderEdgeConfig(values: Record<string, string>): string {
  let conf = readFileSync(path.join(repo, 'deploy/nginx/lectio-edge.conf'), 'utf8');
  for (const [name, value] of Object.entries(values)) conf = conf.replaceAll(`\${${name}}`, value);
  const left = /\$\{LECTIO_[A-Z_]+\}/.exec(conf.replace(/^#.*$/gm, ''));
  if (left) throw new Error(`lectio-edge.conf has a placeholder the test does not fill: ${left[0]}`);
  return conf;
}

interface Edge {
  port: number;
  stop(): Promise<void>;
}

/**
 * nginx as deploy/nginx/README.md sets it up (the template rendered, the key in the environment),
 * in its own directory on a free port, in front of `upstreamPort`.
 */
async function startEdge(upstreamPort: number, signingKey: string | undefined): Promise<Edge> {
  if (!existsSync(NJS_MODULE)) {
    throw new Error(
      `nginx's njs module is missing (${NJS_MODULE}): apt-get install nginx libnginx-mod-http-js (node scripts/ensure-system-deps.mjs test installs it)`,
    );
  }
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lectio-edge-'));
  // Workers drop root for nobody: they must be able to reach the cache under this directory.
  chmodSync(dir, 0o755);
  writeFileSync(
    path.join(dir, 'lectio-edge.conf'),
    renderEdgeConfig({
      LECTIO_EDGE_LISTEN: `127.0.0.1:${port}`,
      LECTIO_APP_UPSTREAM: `127.0.0.1:${upstreamPort}`,
      LECTIO_EDGE_CACHE_DIR: path.join(dir, 'cache'),
      LECTIO_NGINX_DIR: path.join(repo, 'deploy/nginx'),
    }),
  );
  const temp = (name: string) => `${name}_temp_path ${path.join(dir, name)};`;
  const errorLog = path.join(dir, 'error.log');
  writeFileSync(
    path.join(dir, 'nginx.conf'),
    [
      `load_module ${NJS_MODULE};`,
      'env PLAYBACK_SIGNING_KEY;',
      process.getuid?.() === 0 ? 'user nobody nogroup;' : '',
      'worker_processes 1;',
      `pid ${path.join(dir, 'nginx.pid')};`,
      `error_log ${errorLog} warn;`,
      'events { worker_connections 128; }',
      'http {',
      '  access_log off;',
      `  ${temp('client_body')} ${temp('proxy')} ${temp('fastcgi')} ${temp('uwsgi')} ${temp('scgi')}`,
      `  include ${path.join(dir, 'lectio-edge.conf')};`,
      '}',
    ].join('\n'),
  );
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/bin' };
  if (signingKey !== undefined) env.PLAYBACK_SIGNING_KEY = signingKey;
  const nginx = spawn(NGINX, ['-p', dir, '-c', path.join(dir, 'nginx.conf'), '-e', errorLog, '-g', 'daemon off;'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  nginx.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  nginx.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  let spawnError: Error | undefined;
  nginx.once('error', (error) => (spawnError = error));

  const stop = async () => {
    if (nginx.exitCode === null && nginx.signalCode === null && !spawnError) {
      await new Promise<void>((resolve) => {
        nginx.once('exit', () => resolve());
        nginx.kill('SIGTERM');
      });
    }
    rmSync(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline && !spawnError && nginx.exitCode === null) {
    const ready = await get(port, '/').then(
      () => true,
      () => false,
    );
    if (ready) return { port, stop };
    await new Promise((r) => setTimeout(r, 50));
  }
  const log = existsSync(errorLog) ? readFileSync(errorLog, 'utf8') : '';
  await stop();
  if (spawnError) throw new Error(`nginx could not be started (${NGINX}): ${spawnError.message}`);
  throw new Error(`nginx did not start (exit ${nginx.exitCode}):\n${output}\n${log}`);
}

describe('nginx edge (njs): playback token vectors, cache key', () => {
  let upstream: Upstream;
  let edge: Edge;
  let port: number;

  beforeAll(async () => {
    upstream = await startUpstream();
    edge = await startEdge(upstream.port, vectors.key);
    port = edge.port;
  });

  afterAll(async () => {
    await edge?.stop();
    await upstream?.close();
  });

  it('gives every vector the verdict token.ts gives it (tokens re-signed around the real clock)', async () => {
    // nginx's clock cannot be stopped: each case's token is made again from its recipe around the
    // real time. The one-second-to-live case gets a minute, so a tick during the request cannot
    // expire it; the boundary itself is pinned by the CloudFront and unit tests, which stop time.
    const now = Math.floor(Date.now() / 1000);
    for (const testCase of vectors.cases) {
      const grant =
        testCase.grant && testCase.expect.ok
          ? { ...testCase.grant, expiresIn: Math.max(testCase.grant.expiresIn, 60) }
          : testCase.grant;
      const target = renderUrl(vectors, { template: testCase.template, grant }, now);
      const before = upstream.seen.length;
      const response = await get(port, target);
      const seen = upstream.seen.slice(before);
      const label = `${testCase.name}: ${target}`;
      if (testCase.expect.ok) {
        expect(response.status, label).toBe(200);
        expect(response.body, label).toBe(`object ${testCase.expect.objectPath}`);
        // At most one request reached the app (none on a cache hit): the signed path, no query string.
        expect(seen.length, label).toBeLessThanOrEqual(1);
        for (const reached of seen) expect(reached, label).toBe(target.split('?')[0]);
      } else {
        expect(response.status, label).toBe(403);
        expect(response.headers['x-playback-denied'], label).toBe(testCase.expect.reason);
        expect(JSON.parse(response.body), label).toMatchObject({
          error: {
            code: testCase.expect.reason === 'expired' ? 'playback_token_expired' : 'playback_token_invalid',
          },
        });
        expect(seen, `${label} must not reach the app`).toEqual([]);
      }
    }
    expect(new Set(vectors.cases.map(reasonOf)).size).toBe(4);
  });

  it('caches a file once for every viewer: the token is not in the cache key', async () => {
    const videoId = '7c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f';
    const rest = 'vcache1/720p/seg_00009.ts';
    const exp = Math.floor(Date.now() / 1000) + 3600;
    const student = signedMediaPath(
      vectors.key,
      { videoId, uid: 'a3d5c7e9-1b2d-4f6a-8c0e-2a4b6c8d0e1f', expiresAt: exp },
      rest,
    );
    const visitor = signedMediaPath(vectors.key, { videoId, uid: 'anonymous', expiresAt: exp + 60 }, rest);
    expect(student).not.toBe(visitor);
    const reachedApp = () => upstream.seen.filter((target) => target.endsWith(`/videos/${videoId}/${rest}`));

    const first = await get(port, student);
    const second = await get(port, visitor);
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(first.headers['x-cache-status']).toBe('MISS');
    expect(second.headers['x-cache-status']).toBe('HIT');
    expect(second.body).toBe(first.body);
    expect(reachedApp()).toEqual([student]);

    // A cached file is still checked: an expired or forged token does not get it from the cache.
    const expired = signedMediaPath(vectors.key, { videoId, uid: 'anonymous', expiresAt: exp - 7200 }, rest);
    const forged = signedMediaPath(vectors.otherKey, { videoId, uid: 'anonymous', expiresAt: exp }, rest);
    expect((await get(port, expired)).status).toBe(403);
    expect((await get(port, forged)).status).toBe(403);
    expect(reachedApp()).toHaveLength(1);
  });

  it('does not open video B with a grant for video A, even when B is cached', async () => {
    const videoA = '11111111-2222-4333-8444-555555555555';
    const videoB = '66666666-7777-4888-9999-aaaaaaaaaaaa';
    const exp = Math.floor(Date.now() / 1000) + 3600;
    const uid = 'a3d5c7e9-1b2d-4f6a-8c0e-2a4b6c8d0e1f';
    const ofB = signedMediaPath(vectors.key, { videoId: videoB, uid, expiresAt: exp }, 'v1/master.m3u8');
    expect((await get(port, ofB)).status).toBe(200);

    const tokenA = signedMediaPath(vectors.key, { videoId: videoA, uid, expiresAt: exp }, 'v1/master.m3u8').split(
      '/',
    )[3];
    const swapped = `/media/p/${tokenA}/videos/${videoB}/v1/master.m3u8`;
    const response = await get(port, swapped);
    expect(response.status).toBe(403);
    expect(response.headers['x-playback-denied']).toBe('bad_signature');
    expect(response.body).not.toContain('object');
    expect((await get(port, `/media/p/${tokenA}/videos/${videoA}/../${videoB}/v1/master.m3u8`)).status).toBe(403);
  });

  it('refuses everything when nginx was started without the key, even a token signed with an empty key', async () => {
    const keyless = await startEdge(upstream.port, undefined);
    try {
      const before = upstream.seen.length;
      const exp = Math.floor(Date.now() / 1000) + 3600;
      const videoId = '3f6c2a1e-8b4d-4c7e-9a10-5d2e7f8b9c01';
      for (const key of ['', vectors.key]) {
        const response = await get(
          keyless.port,
          signedMediaPath(key, { videoId, uid: 'anonymous', expiresAt: exp }, 'v1/master.m3u8'),
        );
        expect(response.status).toBe(403);
      }
      expect(upstream.seen.length).toBe(before);
    } finally {
      await keyless.stop();
    }
  });
});

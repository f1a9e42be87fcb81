import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloudFrontCdn } from './cloudfront.js';
import { NoCdn } from './noop.js';

interface Captured {
  method: string;
  url: string;
  authorization: string | undefined;
  body: string;
}

/** Answers like CloudFront's CreateInvalidation (201 + the invalidation), recording each request. */
function fakeCloudFront(captured: Captured[]): Server {
  return createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      captured.push({ method: req.method ?? '', url: req.url ?? '', authorization: req.headers.authorization, body });
      const reference = /<CallerReference>([^<]*)<\/CallerReference>/.exec(body)?.[1] ?? '';
      res.writeHead(201, {
        'content-type': 'text/xml',
        location: `https://cloudfront.amazonaws.com${req.url}/I${captured.length}`,
      });
      res.end(
        `<?xml version="1.0" encoding="UTF-8"?><Invalidation xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/">` +
          `<Id>I${captured.length}</Id><Status>InProgress</Status><CreateTime>2026-01-01T00:00:00Z</CreateTime>` +
          `<InvalidationBatch><Paths><Quantity>0</Quantity></Paths><CallerReference>${reference}</CallerReference></InvalidationBatch>` +
          `</Invalidation>`,
      );
    });
  });
}

describe('CloudFront CDN adapter', () => {
  const captured: Captured[] = [];
  let server: Server;
  let endpoint: string;

  beforeAll(async () => {
    server = fakeCloudFront(captured);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('sends a signed CreateInvalidation for the distribution with the paths, a new caller reference each call', async () => {
    const cdn = new CloudFrontCdn({
      distributionId: 'E2EXAMPLE123',
      endpoint,
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'dummy-secret' },
    });
    try {
      await cdn.invalidate(['/media/videos/abc/*', '/media/videos/abc/v1/master.m3u8']);
      await cdn.invalidate(['/media/videos/abc/*']);
    } finally {
      await cdn.close();
    }

    expect(captured).toHaveLength(2);
    const [first, second] = captured as [Captured, Captured];
    expect(first.method).toBe('POST');
    expect(first.url).toMatch(/^\/\d{4}-\d{2}-\d{2}\/distribution\/E2EXAMPLE123\/invalidation$/);
    expect(first.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/us-east-1\/cloudfront\//);
    expect(first.body).toMatch(/^<\?xml[^>]*>\s*<InvalidationBatch xmlns="http:\/\/cloudfront\.amazonaws\.com\//);
    expect(first.body).toContain('<Quantity>2</Quantity>');
    expect(first.body).toContain('<Path>/media/videos/abc/*</Path>');
    expect(first.body).toContain('<Path>/media/videos/abc/v1/master.m3u8</Path>');
    const reference = (body: string) => /<CallerReference>([^<]+)<\/CallerReference>/.exec(body)?.[1];
    expect(reference(first.body)).toBeTruthy();
    expect(reference(second.body)).toBeTruthy();
    expect(reference(second.body)).not.toBe(reference(first.body));
  });

  it('surfaces an error answer instead of pretending the cache was cleared', async () => {
    const failing = createServer((_req, res) => {
      res.writeHead(403, { 'content-type': 'text/xml' });
      res.end(
        '<?xml version="1.0"?><ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code>' +
          '<Message>not allowed</Message></Error></ErrorResponse>',
      );
    });
    await new Promise<void>((resolve) => failing.listen(0, '127.0.0.1', resolve));
    const cdn = new CloudFrontCdn({
      distributionId: 'E2EXAMPLE123',
      endpoint: `http://127.0.0.1:${(failing.address() as AddressInfo).port}`,
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'dummy-secret' },
    });
    try {
      await expect(cdn.invalidate(['/media/videos/abc/*'])).rejects.toThrow(/not allowed|AccessDenied/);
    } finally {
      await cdn.close();
      await new Promise<void>((resolve) => failing.close(() => resolve()));
    }
  });

  it('refuses paths a CDN would misread, on every backend', async () => {
    await expect(new NoCdn().invalidate(['media/videos/abc/*'])).rejects.toThrow(/must start with/);
    await expect(new NoCdn().invalidate(['/media/videos/a b'])).rejects.toThrow(/whitespace/);
    await expect(new NoCdn().invalidate(['/media/videos/abc/*'])).resolves.toBeUndefined();
  });
});

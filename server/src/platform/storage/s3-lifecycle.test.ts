import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { DatabasePort } from '../db/port.js';
import { S3Storage } from './s3.js';

interface Captured {
  method: string;
  url: string;
  body: string;
}

/** An S3 stand-in: every bucket exists; the lifecycle PUT answers `lifecycleStatus`. */
async function fakeS3(lifecycleStatus: number): Promise<{ server: Server; endpoint: string; captured: Captured[] }> {
  const captured: Captured[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      captured.push({ method: req.method ?? '', url: req.url ?? '', body });
      if (req.method === 'PUT' && req.url?.includes('lifecycle') && lifecycleStatus !== 200) {
        res.writeHead(lifecycleStatus, { 'content-type': 'application/xml' });
        res.end(
          '<?xml version="1.0" encoding="UTF-8"?><Error><Code>NotImplemented</Code>' +
            '<Message>A header you provided implies functionality that is not implemented</Message></Error>',
        );
        return;
      }
      res.writeHead(200);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, captured };
}

function storageAt(
  endpoint: string,
  warnings: string[],
  rawColdAfterDays?: number,
  browserOrigins?: string[],
): S3Storage {
  return new S3Storage(
    {
      backend: 's3',
      endpoint,
      region: 'us-east-1',
      accessKeyId: 'test-key',
      secretAccessKey: 'test-secret',
      forcePathStyle: true,
      bucketPrefix: 'lectio-',
    },
    {
      // ensureBuckets never touches the multipart ledger's database.
      database: {} as DatabasePort,
      logger: { warn: (_details, message) => warnings.push(message) },
      rawColdAfterDays,
      browserOrigins,
    },
  );
}

describe('S3 raw upload lifecycle', () => {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

  it('puts a rule on videos-raw: Glacier IR after the configured days, stray multipart parts gone after 7', async () => {
    const fake = await fakeS3(200);
    server = fake.server;
    const warnings: string[] = [];
    const storage = storageAt(fake.endpoint, warnings, 45);
    await storage.ensureBuckets();
    await storage.close();

    const puts = fake.captured.filter((r) => r.method === 'PUT' && r.url.includes('lifecycle'));
    const bucketOf = (r: Captured) => r.url.split('?')[0]!.replace(/\/$/, '');
    expect(puts.map(bucketOf).sort()).toEqual(['/lectio-backups', '/lectio-videos-raw']);
    const xml = puts.find((r) => bucketOf(r) === '/lectio-videos-raw')!.body;
    expect(xml).toContain('<LifecycleConfiguration');
    expect(xml).toMatch(/<Transition><Days>45<\/Days><StorageClass>GLACIER_IR<\/StorageClass><\/Transition>/);
    expect(xml).toMatch(/<AbortIncompleteMultipartUpload><DaysAfterInitiation>7<\/DaysAfterInitiation>/);
    expect(xml.match(/<Status>Enabled<\/Status>/g)).toHaveLength(2);
    expect(warnings).toEqual([]);
  });

  it('deletes the dumps after 90 days (old versions a day later), stray multipart parts after 7', async () => {
    const fake = await fakeS3(200);
    server = fake.server;
    const warnings: string[] = [];
    const storage = storageAt(fake.endpoint, warnings);
    await storage.ensureBuckets();
    await storage.close();
    const put = fake.captured.find(
      (r) => r.method === 'PUT' && r.url.includes('lifecycle') && r.url.startsWith('/lectio-backups'),
    );
    const xml = put?.body ?? '';
    expect(xml).toMatch(/<ID>backups-expire<\/ID>/);
    // pgBackRest's repository shares the bucket and must not lose its long-lived files to age.
    expect(xml).toMatch(/<ID>backups-expire<\/ID><Filter><Prefix>postgres\/<\/Prefix><\/Filter>/);
    expect(xml).toMatch(/<Expiration><Days>90<\/Days><\/Expiration>/);
    expect(xml).toMatch(
      /<NoncurrentVersionExpiration><NoncurrentDays>1<\/NoncurrentDays><\/NoncurrentVersionExpiration>/,
    );
    expect(xml).toMatch(/<AbortIncompleteMultipartUpload><DaysAfterInitiation>7<\/DaysAfterInitiation>/);
    // No transition: a backup is read in a disaster, when a cold-storage restore delay hurts most.
    expect(xml).not.toContain('<Transition>');
    expect(warnings).toEqual([]);
  });

  it('starts anyway, with a warning, where the server has no lifecycle support (s3rver)', async () => {
    const fake = await fakeS3(501);
    server = fake.server;
    const warnings: string[] = [];
    const storage = storageAt(fake.endpoint, warnings);
    await expect(storage.ensureBuckets()).resolves.toBeUndefined();
    await storage.close();
    expect(warnings).toEqual([
      expect.stringMatching(/does not support bucket lifecycle rules; raw uploads/),
      expect.stringMatching(/does not support bucket lifecycle rules; backups/),
    ]);
    const body = fake.captured.find((r) => r.url.includes('lifecycle'))?.body ?? '';
    expect(body).toMatch(/<Days>30<\/Days>/);
  });

  it('lets the app origins PUT parts to videos-raw and read their ETag (CORS), and nothing else', async () => {
    const fake = await fakeS3(200);
    server = fake.server;
    const warnings: string[] = [];
    const storage = storageAt(fake.endpoint, warnings, 30, ['https://lectio.example', 'https://studio.example']);
    await storage.ensureBuckets();
    await storage.close();
    const puts = fake.captured.filter((r) => r.method === 'PUT' && r.url.includes('cors'));
    expect(puts.map((r) => r.url.split('?')[0]!.replace(/\/$/, ''))).toEqual(['/lectio-videos-raw']);
    const xml = puts[0]!.body;
    expect(xml.match(/<AllowedOrigin>[^<]+<\/AllowedOrigin>/g)).toEqual([
      '<AllowedOrigin>https://lectio.example</AllowedOrigin>',
      '<AllowedOrigin>https://studio.example</AllowedOrigin>',
    ]);
    expect(xml.match(/<AllowedMethod>[^<]+<\/AllowedMethod>/g)).toEqual(['<AllowedMethod>PUT</AllowedMethod>']);
    expect(xml).toContain('<ExposeHeader>ETag</ExposeHeader>');
    expect(warnings).toEqual([]);
  });
});

import { describe, expect, it } from 'vitest';
import type { StartUploadRequest, StudioVideo, UploadedPart } from '../types';
import { fileFingerprint, secondsLeft, SpeedMeter } from './progress';
import {
  backoffDelay,
  ResumableUpload,
  TransportError,
  type UploadTransport,
  type UploaderEnvironment,
  type UploadSource,
} from './uploader';

const PART = 8;

function source(size: number, name = 'lecture.mp4'): UploadSource {
  const bytes = new Uint8Array(size).map((_, i) => i % 251);
  const blob = new Blob([bytes]);
  return { name, size, lastModified: 1_700_000_000_000, type: 'video/mp4', slice: (a, b) => blob.slice(a, b) };
}

function video(status: StudioVideo['status'] = 'uploading'): StudioVideo {
  return {
    id: 'v1',
    status,
    progressPercent: 0,
    failureCode: null,
    failureMessage: null,
    originalFilename: 'lecture.mp4',
    sizeBytes: 0,
    durationSeconds: null,
    width: null,
    height: null,
    renditions: [],
    posterUrl: null,
    masterUrl: null,
    storyboardUrl: null,
    createdAt: '2026-01-01T00:00:00.000Z',
    readyAt: null,
  };
}

type PutBehaviour = 'ok' | 'hang' | Error;

/** A server and store in memory that records every request the uploader makes. */
class FakeTransport implements UploadTransport {
  starts: StartUploadRequest[] = [];
  urlRequests: number[][] = [];
  puts: { partNumber: number; bytes: Uint8Array }[] = [];
  reports: UploadedPart[] = [];
  completes = 0;
  aborts = 0;
  inflight = 0;
  maxInflight = 0;
  /** Decides each PUT by part number and try (1-based); 'ok' when absent. */
  putBehaviour: (partNumber: number, attempt: number) => PutBehaviour = () => 'ok';
  reportBehaviour: (part: UploadedPart) => Error | undefined = () => undefined;
  completeBehaviour: (call: number) => Error | undefined = () => undefined;
  private attempts = new Map<number, number>();
  private hanging: (() => void)[] = [];

  constructor(
    private readonly partCount: number,
    private readonly stored: UploadedPart[] = [],
  ) {}

  async start(request: StartUploadRequest) {
    this.starts.push(request);
    return {
      video: video(),
      upload: { uploadId: 'u1', partSize: PART, partCount: this.partCount, parts: this.stored },
    };
  }

  async partUrls(_videoId: string, partNumbers: number[]) {
    this.urlRequests.push(partNumbers);
    const expiresAt = new Date(Date.now() + 3_600_000).toISOString();
    return partNumbers.map((partNumber) => ({ partNumber, url: `https://store.test/part/${partNumber}`, expiresAt }));
  }

  async putPart(
    url: string,
    body: Blob,
    { signal, onProgress }: { signal: AbortSignal; onProgress: (n: number) => void },
  ) {
    const partNumber = Number(url.split('/').pop());
    const attempt = (this.attempts.get(partNumber) ?? 0) + 1;
    this.attempts.set(partNumber, attempt);
    const behaviour = this.putBehaviour(partNumber, attempt);
    this.inflight++;
    this.maxInflight = Math.max(this.maxInflight, this.inflight);
    try {
      await Promise.resolve();
      if (behaviour === 'hang') {
        onProgress(Math.floor(body.size / 2));
        await new Promise<void>((_, reject) => {
          const fail = () => reject(new TransportError('aborted', 'aborted'));
          if (signal.aborted) return fail();
          signal.addEventListener('abort', fail, { once: true });
          this.hanging.push(fail);
        });
      }
      if (behaviour instanceof Error) throw behaviour;
      this.puts.push({ partNumber, bytes: new Uint8Array(await body.arrayBuffer()) });
      onProgress(body.size);
      return `"etag-${partNumber}"`;
    } finally {
      this.inflight--;
    }
  }

  async reportPart(_videoId: string, part: UploadedPart) {
    const error = this.reportBehaviour(part);
    if (error) throw error;
    this.reports.push(part);
  }

  async complete() {
    this.completes++;
    const error = this.completeBehaviour(this.completes);
    if (error) throw error;
    return video('uploaded');
  }

  async abort() {
    this.aborts++;
  }

  sentParts(): number[] {
    return this.puts.map((put) => put.partNumber).sort((a, b) => a - b);
  }
}

/**
 * Time and connectivity by hand. Short sleeps (retry backoff) resolve at once and are recorded;
 * long ones (the offline wait) stay pending until the test goes online.
 */
class FakeEnvironment implements UploaderEnvironment {
  time = 0;
  online = true;
  sleeps: number[] = [];
  private listeners = new Set<(online: boolean) => void>();

  now = () => this.time;
  isOnline = () => this.online;

  sleep(ms: number, signal: AbortSignal): Promise<void> {
    this.sleeps.push(ms);
    if (ms < 10_000) return Promise.resolve();
    return new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted'))));
  }

  onConnectivityChange(listener: (online: boolean) => void) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  setOnline(online: boolean) {
    this.online = online;
    for (const listener of this.listeners) listener(online);
  }
}

const network = () => new TransportError('network', 'no answer');
const http = (status: number, code?: string, details?: unknown) =>
  new TransportError('http', `HTTP ${status}`, status, code, details);

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1_000; i++) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function upload(file: UploadSource, transport: FakeTransport, env = new FakeEnvironment()) {
  return new ResumableUpload(file, { transport, env, concurrency: 3, urlBatchSize: 4 });
}

describe('ResumableUpload', () => {
  it('sends only the parts the server does not hold, each with its own bytes, then completes', async () => {
    const file = source(5 * PART - 3);
    const transport = new FakeTransport(5, [
      { partNumber: 1, etag: '"a"', size: PART },
      { partNumber: 3, etag: '"c"', size: PART },
    ]);
    const job = upload(file, transport);
    await job.start();
    await job.settled;

    expect(transport.starts).toEqual([
      { filename: 'lecture.mp4', size: 37, contentType: 'video/mp4', fingerprint: 'lecture.mp4:37:1700000000000' },
    ]);
    expect(transport.sentParts()).toEqual([2, 4, 5]);
    for (const put of transport.puts) {
      const start = (put.partNumber - 1) * PART;
      expect([...put.bytes]).toEqual([...new Uint8Array(await file.slice(start, start + PART).arrayBuffer())]);
    }
    expect(transport.reports.sort((a, b) => a.partNumber - b.partNumber)).toEqual([
      { partNumber: 2, etag: '"etag-2"', size: PART },
      { partNumber: 4, etag: '"etag-4"', size: PART },
      { partNumber: 5, etag: '"etag-5"', size: PART - 3 },
    ]);
    expect(transport.completes).toBe(1);
    const snapshot = job.getSnapshot();
    expect(snapshot).toMatchObject({ phase: 'completed', resumedParts: 2, partsDone: 5, partCount: 5 });
    expect(snapshot.uploadedBytes).toBe(snapshot.totalBytes);
    expect(snapshot.video?.status).toBe('uploaded');
  });

  it('keeps at most `concurrency` parts in flight and asks for part URLs in batches', async () => {
    const transport = new FakeTransport(10);
    const job = upload(source(10 * PART), transport);
    await job.start();
    await job.settled;
    expect(transport.sentParts()).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(transport.maxInflight).toBe(3);
    expect(transport.urlRequests.length).toBeLessThanOrEqual(4);
    expect(transport.urlRequests.every((batch) => batch.length <= 4)).toBe(true);
    expect(transport.urlRequests.flat().sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  it('completes at once when every part is already stored', async () => {
    const stored = [1, 2].map((partNumber) => ({ partNumber, etag: `"${partNumber}"`, size: PART }));
    const transport = new FakeTransport(2, stored);
    const job = upload(source(2 * PART), transport);
    await job.start();
    await job.settled;
    expect(transport.puts).toEqual([]);
    expect(transport.completes).toBe(1);
    expect(job.getSnapshot()).toMatchObject({ phase: 'completed', resumedParts: 2 });
  });

  it('retries a failed part with growing backoff and asks for a fresh URL', async () => {
    const transport = new FakeTransport(3);
    transport.putBehaviour = (partNumber, attempt) =>
      partNumber === 2 && attempt === 1 ? http(503) : partNumber === 2 && attempt === 2 ? network() : 'ok';
    const env = new FakeEnvironment();
    const job = upload(source(3 * PART), transport, env);
    await job.start();
    await job.settled;
    expect(job.getSnapshot().phase).toBe('completed');
    expect(transport.sentParts()).toEqual([1, 2, 3]);
    expect(env.sleeps).toHaveLength(2);
    expect(env.sleeps[1]!).toBeGreaterThan(env.sleeps[0]!);
    expect(transport.urlRequests.flat().filter((n) => n === 2)).toHaveLength(3);
  });

  it('re-reports a stored part without sending its bytes again when only the report failed', async () => {
    const transport = new FakeTransport(2);
    let failed = false;
    transport.reportBehaviour = (part) => {
      if (part.partNumber !== 1 || failed) return undefined;
      failed = true;
      return http(502);
    };
    const job = upload(source(2 * PART), transport);
    await job.start();
    await job.settled;
    expect(transport.sentParts()).toEqual([1, 2]);
    expect(transport.reports.map((part) => part.partNumber).sort()).toEqual([1, 2]);
  });

  it('stops with the error when the server refuses a part for good', async () => {
    const transport = new FakeTransport(3);
    transport.reportBehaviour = (part) => (part.partNumber === 2 ? http(404, 'video_not_found') : undefined);
    const env = new FakeEnvironment();
    const job = upload(source(3 * PART), transport, env);
    await job.start();
    await job.settled;
    const snapshot = job.getSnapshot();
    expect(snapshot.phase).toBe('failed');
    expect((snapshot.error as TransportError).code).toBe('video_not_found');
    expect(env.sleeps).toEqual([]);
    expect(transport.completes).toBe(0);
  });

  it('waits offline after repeated network errors and resumes the missing parts when the connection returns', async () => {
    const transport = new FakeTransport(6);
    let down = false;
    transport.putBehaviour = (partNumber) => (down || partNumber === 4 ? ((down = true), network()) : 'ok');
    const env = new FakeEnvironment();
    const job = new ResumableUpload(source(6 * PART), { transport, env, concurrency: 1, maxAttempts: 3 });
    await job.start();
    await until(() => job.getSnapshot().phase === 'offline', 'offline');
    expect(transport.sentParts()).toEqual([1, 2, 3]);
    expect(job.getSnapshot()).toMatchObject({ partsDone: 3, bytesPerSecond: null, secondsLeft: null });

    down = false;
    transport.putBehaviour = () => 'ok';
    env.setOnline(true);
    await job.settled;
    expect(job.getSnapshot().phase).toBe('completed');
    expect(transport.sentParts()).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('goes offline on the browser offline event and resumes on online', async () => {
    const transport = new FakeTransport(4);
    transport.putBehaviour = (partNumber, attempt) => (partNumber === 2 && attempt === 1 ? 'hang' : 'ok');
    const env = new FakeEnvironment();
    const job = new ResumableUpload(source(4 * PART), { transport, env, concurrency: 1 });
    await job.start();
    await until(() => job.getSnapshot().uploadedBytes === PART + PART / 2, 'part 2 half sent');
    env.setOnline(false);
    expect(job.getSnapshot().phase).toBe('offline');
    // The half-sent part counts for nothing: it is sent again from its first byte.
    expect(job.getSnapshot().uploadedBytes).toBe(PART);
    env.setOnline(true);
    await job.settled;
    expect(transport.sentParts()).toEqual([1, 2, 3, 4]);
  });

  it('pause aborts the parts in flight and sends nothing until resume, which sends them again', async () => {
    const transport = new FakeTransport(4);
    transport.putBehaviour = (partNumber, attempt) => (partNumber >= 3 && attempt === 1 ? 'hang' : 'ok');
    const job = upload(source(4 * PART), transport);
    await job.start();
    await until(() => transport.inflight === 2 && transport.puts.length === 2, 'parts 3 and 4 in flight');
    job.pause();
    await until(() => transport.inflight === 0, 'aborted');
    expect(job.getSnapshot()).toMatchObject({ phase: 'paused', partsDone: 2, uploadedBytes: 2 * PART });
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(transport.puts).toHaveLength(2);

    job.resume();
    await job.settled;
    expect(transport.sentParts()).toEqual([1, 2, 3, 4]);
    expect(job.getSnapshot().phase).toBe('completed');
  });

  it('cancel stops sending and has the server drop the upload', async () => {
    const transport = new FakeTransport(3);
    transport.putBehaviour = (partNumber) => (partNumber === 2 ? 'hang' : 'ok');
    const job = new ResumableUpload(source(3 * PART), { transport, env: new FakeEnvironment(), concurrency: 1 });
    await job.start();
    await until(() => transport.inflight === 1 && transport.puts.length === 1, 'part 2 in flight');
    await job.cancel();
    await job.settled;
    expect(job.getSnapshot().phase).toBe('cancelled');
    expect(transport.aborts).toBe(1);
    expect(transport.sentParts()).toEqual([1]);
    expect(transport.completes).toBe(0);
  });

  it('sends again the parts a 409 upload_incomplete names, then completes', async () => {
    const transport = new FakeTransport(3);
    transport.completeBehaviour = (call) =>
      call === 1 ? http(409, 'upload_incomplete', { missingParts: [2] }) : undefined;
    const job = upload(source(3 * PART), transport);
    await job.start();
    await job.settled;
    expect(transport.sentParts()).toEqual([1, 2, 2, 3]);
    expect(transport.completes).toBe(2);
    expect(job.getSnapshot().phase).toBe('completed');
  });
});

describe('upload speed and time left', () => {
  it('measures a steady 2 MB/s and the time left at that speed', () => {
    const meter = new SpeedMeter(5_000);
    for (let second = 0; second <= 10; second++) meter.record(second * 1_000, second * 2_000_000);
    expect(meter.speed(10_000)).toBe(2_000_000);
    expect(secondsLeft(9_000_000, meter.speed(10_000))).toBe(5);
  });

  it('follows the connection as it is now: only the last five seconds count', () => {
    const meter = new SpeedMeter(5_000);
    // 10 s at 4 MB/s, then 5 s at 1 MB/s.
    let bytes = 0;
    for (let t = 1; t <= 10; t++) meter.record(t * 1_000, (bytes += 4_000_000));
    for (let t = 11; t <= 15; t++) meter.record(t * 1_000, (bytes += 1_000_000));
    expect(meter.speed(15_000)).toBe(1_000_000);
  });

  it('shows a stalled upload slowing down, and nothing before half a second of history', () => {
    const meter = new SpeedMeter(5_000);
    meter.record(0, 0);
    meter.record(200, 1_000_000);
    expect(meter.speed(300)).toBeNull();
    meter.record(1_000, 5_000_000);
    expect(meter.speed(1_000)).toBe(5_000_000);
    // No byte for four more seconds: the same bytes over five seconds.
    expect(meter.speed(5_000)).toBe(1_000_000);
    expect(meter.speed(20_000)).toBe(0);
    expect(secondsLeft(1, 0)).toBeNull();
    meter.reset();
    expect(meter.speed(20_000)).toBeNull();
  });

  it('reports speed and time left while uploading, from the uploader clock', async () => {
    const transport = new FakeTransport(4);
    const env = new FakeEnvironment();
    transport.putBehaviour = (partNumber) => (partNumber === 3 ? 'hang' : 'ok');
    const job = new ResumableUpload(source(4 * 1_000_000), { transport, env, concurrency: 1 });
    // Parts of 8 bytes would be too small to time: use 1 MB parts for this one.
    transport.start = async (request) => {
      transport.starts.push(request);
      return { video: video(), upload: { uploadId: 'u', partSize: 1_000_000, partCount: 4, parts: [] } };
    };
    const originalPut = transport.putPart.bind(transport);
    transport.putPart = async (url, body, options) => {
      env.time += 1_000; // each part takes one second
      return originalPut(url, body, options);
    };
    await job.start();
    await until(() => transport.inflight === 1 && transport.puts.length === 2, 'part 3 in flight');
    const snapshot = job.getSnapshot();
    // Two full parts and half of the third in three seconds of clock.
    expect(snapshot.uploadedBytes).toBe(2_500_000);
    expect(snapshot.bytesPerSecond).toBeCloseTo(2_500_000 / 3, 0);
    expect(snapshot.secondsLeft).toBe(Math.ceil(1_500_000 / (2_500_000 / 3)));
    await job.cancel();
  });

  it('backoff doubles up to the cap, with jitter of at most a fifth', () => {
    expect(backoffDelay(1, 1_000, 30_000, () => 0.5)).toBe(1_000);
    expect(backoffDelay(3, 1_000, 30_000, () => 0.5)).toBe(4_000);
    expect(backoffDelay(10, 1_000, 30_000, () => 0.5)).toBe(30_000);
    expect(backoffDelay(2, 1_000, 30_000, () => 0)).toBe(1_600);
    expect(backoffDelay(2, 1_000, 30_000, () => 1)).toBe(2_400);
  });

  it('fingerprints a file by name, size and modification time', () => {
    expect(fileFingerprint({ name: 'a b.mp4', size: 10, lastModified: 5 })).toBe('a b.mp4:10:5');
  });
});

// Resumable multipart upload of one video, straight to storage through presigned part URLs.
// Plain TypeScript: the network is behind UploadTransport and time/connectivity behind
// UploaderEnvironment, so the scheduling is tested without a browser (uploader.test.ts).
import type {
  PartUrl,
  StartUploadRequest,
  StartUploadResult,
  StudioVideo,
  UploadSession,
  UploadedPart,
} from '../types';
import { fileFingerprint, secondsLeft, SpeedMeter } from './progress';

/** What the uploader needs of a File (a File satisfies it). */
export interface UploadSource {
  readonly name: string;
  readonly size: number;
  readonly lastModified: number;
  readonly type: string;
  slice(start: number, end: number): Blob;
}

export type TransportErrorKind = 'network' | 'http' | 'aborted';

/** A failed request, classified so the scheduler knows whether to retry, wait for the network or give up. */
export class TransportError extends Error {
  constructor(
    readonly kind: TransportErrorKind,
    message: string,
    readonly status?: number,
    /** The API's machine-readable error code, when the answer had one. */
    readonly code?: string,
    readonly details?: unknown,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'TransportError';
  }
}

export interface UploadTransport {
  start(request: StartUploadRequest): Promise<StartUploadResult>;
  partUrls(videoId: string, partNumbers: number[]): Promise<PartUrl[]>;
  /** PUTs one part's bytes and answers the ETag the store gave it. */
  putPart(
    url: string,
    body: Blob,
    options: { signal: AbortSignal; onProgress: (loadedBytes: number) => void },
  ): Promise<string>;
  reportPart(videoId: string, part: UploadedPart): Promise<void>;
  complete(videoId: string): Promise<StudioVideo>;
  abort(videoId: string): Promise<void>;
}

export interface UploaderEnvironment {
  now(): number;
  /** Resolves after `ms`, or rejects as soon as `signal` aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
  isOnline(): boolean;
  /** Calls back on the browser's online/offline events; returns the unsubscribe. */
  onConnectivityChange(listener: (online: boolean) => void): () => void;
}

export type UploadPhase =
  | 'starting'
  | 'uploading'
  | 'paused'
  /** The connection dropped: waiting for it to come back, then resuming by itself. */
  | 'offline'
  | 'completing'
  | 'completed'
  | 'cancelled'
  | 'failed';

export interface UploadSnapshot {
  phase: UploadPhase;
  video: StudioVideo | null;
  totalBytes: number;
  /** Bytes the store holds, plus the bytes of parts in flight. */
  uploadedBytes: number;
  partCount: number;
  partsDone: number;
  /** Parts the server already had when this upload started (a resumed upload). */
  resumedParts: number;
  bytesPerSecond: number | null;
  secondsLeft: number | null;
  error: unknown;
}

export interface UploaderOptions {
  transport: UploadTransport;
  env: UploaderEnvironment;
  /** Parts in flight at once. */
  concurrency?: number;
  /** Tries of one part (PUT + report) before the upload stops. */
  maxAttempts?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** Part URLs asked for in one request. */
  urlBatchSize?: number;
  /** While offline, try again this often even when no `online` event arrives. */
  offlineRetryMs?: number;
}

const DEFAULTS = {
  concurrency: 4,
  maxAttempts: 4,
  backoffBaseMs: 1_000,
  backoffMaxMs: 30_000,
  urlBatchSize: 20,
  offlineRetryMs: 15_000,
};
/** A URL this close to expiry is replaced before use: a big part on a slow line takes a while. */
const URL_EXPIRY_MARGIN_MS = 5 * 60_000;

/** Delay before try `attempt + 1`: doubling from `base`, capped, with ±20 % jitter from `random`. */
export function backoffDelay(attempt: number, base: number, max: number, random = Math.random): number {
  const raw = Math.min(max, base * 2 ** (attempt - 1));
  return Math.round(raw * (0.8 + 0.4 * random()));
}

function isAbort(error: unknown): boolean {
  return (
    (error instanceof TransportError && error.kind === 'aborted') ||
    (error instanceof Error && error.name === 'AbortError')
  );
}

function isNetwork(error: unknown): boolean {
  return error instanceof TransportError && error.kind === 'network';
}

/** Worth another try: the network, the server having a bad moment, or an expired part URL. */
function isRetryable(error: unknown): boolean {
  if (isNetwork(error)) return true;
  if (!(error instanceof TransportError) || error.status === undefined) return false;
  return error.status >= 500 || error.status === 408 || error.status === 429 || error.status === 403;
}

class StopRun extends Error {
  constructor() {
    super('upload run stopped');
    this.name = 'AbortError';
  }
}

export class ResumableUpload {
  readonly fingerprint: string;
  private readonly options: Required<Omit<UploaderOptions, 'transport' | 'env'>>;
  private readonly transport: UploadTransport;
  private readonly env: UploaderEnvironment;
  private readonly listeners = new Set<() => void>();
  private readonly speed = new SpeedMeter();

  private phase: UploadPhase = 'starting';
  private video: StudioVideo | null = null;
  private session: UploadSession | null = null;
  private error: unknown = null;
  private resumedParts = 0;
  /** Parts the server has recorded, by number, with their size. */
  private readonly done = new Map<number, number>();
  /** Bytes sent so far of each part in flight. */
  private readonly inflight = new Map<number, number>();
  /** ETags of parts stored but not yet reported: a retry reports again without re-sending. */
  private readonly stored = new Map<number, string>();
  private readonly urls = new Map<number, { url: string; expiresAt: number }>();
  private urlBatch: Promise<void> | null = null;
  /** Running total of bytes sent in this page, for the speed (never decreases). */
  private transferred = 0;
  /** Stops the current run's requests (pause, lost connection, cancel). */
  private run: AbortController | null = null;
  /** Stops the wait for the connection while offline. */
  private offlineWait: AbortController | null = null;
  private offlineAttempt = 0;
  private unsubscribeConnectivity: (() => void) | null = null;
  private snapshot: UploadSnapshot;
  private settle!: () => void;
  /** Resolves when the upload is completed, cancelled or failed. */
  readonly settled: Promise<void>;

  constructor(
    private readonly file: UploadSource,
    options: UploaderOptions,
  ) {
    this.fingerprint = fileFingerprint(file);
    this.transport = options.transport;
    this.env = options.env;
    this.options = {
      concurrency: options.concurrency ?? DEFAULTS.concurrency,
      maxAttempts: options.maxAttempts ?? DEFAULTS.maxAttempts,
      backoffBaseMs: options.backoffBaseMs ?? DEFAULTS.backoffBaseMs,
      backoffMaxMs: options.backoffMaxMs ?? DEFAULTS.backoffMaxMs,
      urlBatchSize: options.urlBatchSize ?? DEFAULTS.urlBatchSize,
      offlineRetryMs: options.offlineRetryMs ?? DEFAULTS.offlineRetryMs,
    };
    this.settled = new Promise((resolve) => (this.settle = resolve));
    this.snapshot = this.buildSnapshot();
  }

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  readonly getSnapshot = (): UploadSnapshot => this.snapshot;

  /** Opens (or reopens, for the same file) the upload on the server and sends the missing parts. */
  async start(): Promise<void> {
    this.unsubscribeConnectivity = this.env.onConnectivityChange((online) => this.onConnectivity(online));
    try {
      const { video, upload } = await this.transport.start({
        filename: this.file.name,
        size: this.file.size,
        ...(this.file.type ? { contentType: this.file.type } : {}),
        fingerprint: this.fingerprint,
      });
      if (this.phase === 'cancelled') {
        // Cancelled while the server was opening it: do not leave an open upload behind.
        await this.transport.abort(video.id).catch(() => undefined);
        return;
      }
      this.video = video;
      this.session = upload;
      for (const part of upload.parts) this.done.set(part.partNumber, part.size);
      this.resumedParts = this.done.size;
    } catch (error) {
      if (this.phase === 'starting') this.finish('failed', error);
      return;
    }
    if (!this.env.isOnline()) return this.goOffline();
    void this.upload();
  }

  pause(): void {
    if (this.phase !== 'uploading' && this.phase !== 'offline') return;
    this.stopRun();
    this.stopOfflineWait();
    this.setPhase('paused');
  }

  resume(): void {
    if (this.phase !== 'paused' && this.phase !== 'offline') return;
    this.stopOfflineWait();
    if (!this.env.isOnline()) return this.goOffline();
    void this.upload();
  }

  /** Stops for good and has the server drop the parts (the video row ends `aborted`). */
  async cancel(): Promise<void> {
    if (this.phase === 'completed' || this.phase === 'cancelled' || this.phase === 'failed') return;
    this.stopRun();
    this.stopOfflineWait();
    this.finish('cancelled', null);
    if (this.video) await this.transport.abort(this.video.id);
  }

  // ---- the run: send every missing part, then complete ----

  private async upload(): Promise<void> {
    const session = this.session;
    const video = this.video;
    if (!session || !video) return;
    this.stopRun();
    const run = new AbortController();
    this.run = run;
    this.speed.reset();
    // The run's start is the speed's zero point; without it the first part's time would be lost.
    this.speed.record(this.env.now(), this.transferred);
    this.setPhase('uploading');

    const queue = this.missingParts(session);
    let failure: unknown = null;
    const worker = async () => {
      while (!run.signal.aborted) {
        const partNumber = queue.shift();
        if (partNumber === undefined) return;
        try {
          await this.sendPart(video.id, session, partNumber, queue, run.signal);
        } catch (error) {
          if (run.signal.aborted) return;
          failure = error;
          // One part out of tries stops the others: they would most likely fail the same way.
          run.abort();
          return;
        }
      }
    };
    const workers = Math.max(1, Math.min(this.options.concurrency, queue.length));
    await Promise.all(Array.from({ length: workers }, worker));
    if (this.run !== run) return;
    this.run = null;
    if (failure !== null) {
      if (isNetwork(failure) || !this.env.isOnline()) return this.goOffline();
      return this.finish('failed', failure);
    }
    if (run.signal.aborted) return;
    await this.complete(video.id);
  }

  private async complete(videoId: string): Promise<void> {
    this.setPhase('completing');
    for (let attempt = 1; ; attempt++) {
      try {
        const video = await this.transport.complete(videoId);
        if (this.phase !== 'completing') return;
        this.video = video;
        return this.finish('completed', null);
      } catch (error) {
        if (this.phase !== 'completing') return;
        const missing = missingPartsOf(error);
        if (missing.length > 0) {
          // The server lost track of some parts (say, an expired record): send them again.
          for (const partNumber of missing) this.done.delete(partNumber);
          void this.upload();
          return;
        }
        if (isNetwork(error)) return this.goOffline();
        if (!isRetryable(error) || attempt >= this.options.maxAttempts) return this.finish('failed', error);
        await this.env.sleep(this.backoff(attempt), new AbortController().signal);
      }
    }
  }

  private async sendPart(
    videoId: string,
    session: UploadSession,
    partNumber: number,
    queue: readonly number[],
    signal: AbortSignal,
  ): Promise<void> {
    const start = (partNumber - 1) * session.partSize;
    const end = Math.min(this.file.size, start + session.partSize);
    for (let attempt = 1; ; attempt++) {
      try {
        let etag = this.stored.get(partNumber);
        if (etag === undefined) {
          const url = await this.urlFor(videoId, partNumber, queue, signal);
          this.setInflight(partNumber, 0);
          etag = await this.transport.putPart(url, this.file.slice(start, end), {
            signal,
            onProgress: (loaded) => this.setInflight(partNumber, loaded),
          });
          this.stored.set(partNumber, etag);
        }
        if (signal.aborted) throw new StopRun();
        await this.transport.reportPart(videoId, { partNumber, etag, size: end - start });
        this.stored.delete(partNumber);
        this.inflight.delete(partNumber);
        this.done.set(partNumber, end - start);
        this.offlineAttempt = 0;
        this.emit();
        return;
      } catch (error) {
        this.dropInflight(partNumber);
        if (signal.aborted || isAbort(error)) throw new StopRun();
        // A refused or failed PUT may be an expired URL: the next try asks for a fresh one.
        this.urls.delete(partNumber);
        if (!isRetryable(error) || attempt >= this.options.maxAttempts || !this.env.isOnline()) throw error;
        await this.env.sleep(this.backoff(attempt), signal).catch(() => undefined);
        if (signal.aborted) throw new StopRun();
      }
    }
  }

  /** The part's URL, asking for it together with the next parts in the queue that lack one. */
  private async urlFor(
    videoId: string,
    partNumber: number,
    queue: readonly number[],
    signal: AbortSignal,
  ): Promise<string> {
    for (;;) {
      const cached = this.urls.get(partNumber);
      if (cached && cached.expiresAt - this.env.now() > URL_EXPIRY_MARGIN_MS) return cached.url;
      if (this.urlBatch) {
        await this.urlBatch;
        if (signal.aborted) throw new StopRun();
        if (this.urls.has(partNumber)) continue;
      }
      const wanted = [partNumber, ...queue.filter((n) => !this.hasFreshUrl(n))].slice(0, this.options.urlBatchSize);
      const batch = this.transport.partUrls(videoId, wanted).then((urls) => {
        for (const item of urls) {
          this.urls.set(item.partNumber, { url: item.url, expiresAt: Date.parse(item.expiresAt) });
        }
      });
      this.urlBatch = batch;
      try {
        await batch;
      } finally {
        if (this.urlBatch === batch) this.urlBatch = null;
      }
      if (signal.aborted) throw new StopRun();
      const fresh = this.urls.get(partNumber);
      if (!fresh) throw new TransportError('http', `The server gave no URL for part ${partNumber}`);
      return fresh.url;
    }
  }

  private hasFreshUrl(partNumber: number): boolean {
    const cached = this.urls.get(partNumber);
    return cached !== undefined && cached.expiresAt - this.env.now() > URL_EXPIRY_MARGIN_MS;
  }

  private missingParts(session: UploadSession): number[] {
    const missing: number[] = [];
    for (let n = 1; n <= session.partCount; n++) if (!this.done.has(n)) missing.push(n);
    return missing;
  }

  // ---- connectivity ----

  private onConnectivity(online: boolean): void {
    if (!online && this.phase === 'uploading') this.goOffline();
    else if (online && this.phase === 'offline') this.resume();
  }

  private goOffline(): void {
    this.stopRun();
    this.setPhase('offline');
    this.stopOfflineWait();
    const wait = new AbortController();
    this.offlineWait = wait;
    // The `online` event is the fast path; a timer covers errors the browser never calls offline.
    const delay = backoffDelay(++this.offlineAttempt, this.options.offlineRetryMs, 4 * this.options.offlineRetryMs);
    this.env.sleep(delay, wait.signal).then(
      () => {
        if (this.offlineWait === wait && this.phase === 'offline') this.resume();
      },
      () => undefined,
    );
  }

  private stopOfflineWait(): void {
    this.offlineWait?.abort();
    this.offlineWait = null;
  }

  private stopRun(): void {
    this.run?.abort();
    this.run = null;
    // Parts in flight are sent again from their first byte on resume.
    this.inflight.clear();
  }

  // ---- state ----

  private backoff(attempt: number): number {
    return backoffDelay(attempt, this.options.backoffBaseMs, this.options.backoffMaxMs);
  }

  private setInflight(partNumber: number, loaded: number): void {
    const before = this.inflight.get(partNumber) ?? 0;
    if (loaded > before) {
      this.transferred += loaded - before;
      this.speed.record(this.env.now(), this.transferred);
    }
    this.inflight.set(partNumber, loaded);
    this.emit();
  }

  private dropInflight(partNumber: number): void {
    if (this.inflight.delete(partNumber)) this.emit();
  }

  private setPhase(phase: UploadPhase): void {
    this.phase = phase;
    if (phase !== 'uploading') this.speed.reset();
    this.emit();
  }

  private finish(phase: 'completed' | 'cancelled' | 'failed', error: unknown): void {
    this.error = error;
    this.setPhase(phase);
    this.unsubscribeConnectivity?.();
    this.unsubscribeConnectivity = null;
    this.settle();
  }

  private emit(): void {
    this.snapshot = this.buildSnapshot();
    for (const listener of this.listeners) listener();
  }

  private buildSnapshot(): UploadSnapshot {
    let doneBytes = 0;
    for (const size of this.done.values()) doneBytes += size;
    let inflightBytes = 0;
    for (const loaded of this.inflight.values()) inflightBytes += loaded;
    const total = this.file.size;
    const uploadedBytes = this.phase === 'completed' ? total : Math.min(total, doneBytes + inflightBytes);
    const bytesPerSecond = this.phase === 'uploading' ? this.speed.speed(this.env.now()) : null;
    return {
      phase: this.phase,
      video: this.video,
      totalBytes: total,
      uploadedBytes,
      partCount: this.session?.partCount ?? 0,
      partsDone: this.done.size,
      resumedParts: this.resumedParts,
      bytesPerSecond,
      secondsLeft: this.phase === 'uploading' ? secondsLeft(total - uploadedBytes, bytesPerSecond) : null,
      error: this.error,
    };
  }
}

/** Part numbers of a 409 `upload_incomplete` answer's details.missingParts, else none. */
function missingPartsOf(error: unknown): number[] {
  if (!(error instanceof TransportError) || error.code !== 'upload_incomplete') return [];
  const details = error.details;
  if (typeof details !== 'object' || details === null || !('missingParts' in details)) return [];
  const parts = (details as { missingParts: unknown }).missingParts;
  return Array.isArray(parts) ? parts.filter((n): n is number => Number.isInteger(n)) : [];
}

/**
 * `npm run bench -- large-upload [--size-gb 2] [--small-mb 200] [--no-transcode] [--smoke] [--no-write]`
 *
 * A multi-gigabyte upload and its transcode must run in memory that does not grow with the file's
 * size (issue 9). Lectio runs in its production configuration (`serve --api` and `serve --worker`
 * from the build, private PostgreSQL + Redis, local storage); a small and a big generated video
 * (same codec, resolution and frame rate: only the length differs) are uploaded in the same run
 * through the studio's resumable upload API exactly as the web client does it (start, part URLs,
 * PUT each part, record it, complete; four parts in flight), and the worker transcodes each. The
 * RSS of the API processes, the worker and ffmpeg is sampled from /proc every 200 ms. Peak RSS
 * big ÷ small should be ≈ 1. Free disk is checked first. Writes docs/benchmarks/large-upload.json.
 */
import { spawn } from 'node:child_process';
import { createReadStream, mkdtempSync, readFileSync, rmSync, statfsSync, statSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { startLectioStack, type LectioStack } from './baselines/lectio.js';
import { parseFlags } from './lib/args.js';
import { processTree } from './lib/load.js';
import { describeMetaBrief, startMeta, writeBenchJson, type BenchMeta } from './lib/meta.js';

const JSON_OUT = new URL('../docs/benchmarks/large-upload.json', import.meta.url);
const MB = 1e6;
/** Parts in flight at once, as the web uploader (web/src/videos/upload/uploader.ts) sends them. */
const CONCURRENCY = 4;

export interface LargeUploadOptions {
  smallBytes: number;
  bigBytes: number;
  transcode: boolean;
  write: boolean;
  argv: string[];
  /** Where the generated files go (default: the OS temp dir). */
  workDir?: string;
  transcodeTimeoutMs: number;
}

export function parseLargeUploadArgs(rest: string[]): LargeUploadOptions {
  const opts: LargeUploadOptions = {
    smallBytes: 200 * MB,
    bigBytes: 2000 * MB,
    transcode: true,
    write: true,
    argv: ['large-upload', ...rest],
    transcodeTimeoutMs: 60 * 60_000,
  };
  parseFlags(rest, {
    '--size-gb': (v) => (opts.bigBytes = Math.round(v.number() * 1000 * MB)),
    '--small-mb': (v) => (opts.smallBytes = Math.round(v.number() * MB)),
    '--no-transcode': () => (opts.transcode = false),
    '--no-write': () => (opts.write = false),
    '--smoke': () => Object.assign(opts, { smallBytes: 20 * MB, bigBytes: 120 * MB, transcode: false, write: false }),
  });
  if (opts.bigBytes <= opts.smallBytes) throw new Error('--size-gb must be larger than --small-mb');
  return opts;
}

/** Bytes free for an unprivileged writer on the filesystem holding `dir`. */
export function freeBytes(dir: string): number {
  const s = statfsSync(dir);
  return s.bavail * s.bsize;
}

/**
 * The upload passes through: the generated file, its parts in storage, the assembled object, the
 * worker's scratch copy and the ladder. 3× the files' size covers it with room to spare.
 */
export function assertDiskFor(dir: string, bytes: number): void {
  const free = freeBytes(dir);
  if (free < 3 * bytes) {
    throw new Error(
      `Not enough free disk in ${dir}: ${(free / 1e9).toFixed(1)} GB free, the large-upload bench needs ` +
        `${((3 * bytes) / 1e9).toFixed(1)} GB (3× the ${(bytes / 1e9).toFixed(1)} GB it generates). ` +
        `Free some space or pass a smaller --size-gb. / 디스크 공간이 부족합니다: ${(free / 1e9).toFixed(1)} GB 남음, ` +
        `${((3 * bytes) / 1e9).toFixed(1)} GB 필요 (생성 파일 크기의 3배). 공간을 확보하거나 --size-gb 를 줄이세요.`,
    );
  }
}

function ffmpeg(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg exited ${code}: ${err}`))));
  });
}

/**
 * A high-bitrate clip (720p, intra-only MPEG-2 at the finest quantiser, grain on every frame:
 * ~100 Mbit/s, a camera original's rate) looped by stream copy to `bytes`: gigabytes in the time it
 * takes to write them, and every size has the same codec, resolution and frame rate.
 */
export async function generateVideos(dir: string, sizes: number[]): Promise<string[]> {
  const clip = path.join(dir, 'clip.mp4');
  await ffmpeg([
    ...['-f', 'lavfi', '-i', 'testsrc2=size=1280x720:rate=24'],
    ...['-f', 'lavfi', '-i', 'sine=frequency=220:sample_rate=48000'],
    ...['-t', '2', '-vf', 'noise=alls=12:allf=t+u,format=yuv420p'],
    ...['-c:v', 'mpeg2video', '-g', '1', '-q:v', '1', '-qmin', '1', '-c:a', 'aac', '-b:a', '128k'],
    clip,
  ]);
  const clipBytes = statSync(clip).size;
  const files: string[] = [];
  for (const bytes of sizes) {
    const file = path.join(dir, `lecture-${Math.round(bytes / MB)}mb.mp4`);
    const loops = Math.max(1, Math.round(bytes / clipBytes));
    await ffmpeg(['-stream_loop', String(loops - 1), '-i', clip, '-c', 'copy', '-f', 'mp4', file]);
    files.push(file);
  }
  rmSync(clip, { force: true });
  return files;
}

function rssMb(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : 0;
  } catch {
    return 0; // gone
  }
}

function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

export interface RssPeaks {
  /** Sum over the API's processes (cluster primary and workers). */
  apiMb: number;
  /** The largest single API process. */
  apiMaxProcessMb: number;
  /** The worker's Node process. */
  workerMb: number;
  /** The largest ffmpeg/ffprobe child of the worker. */
  ffmpegMb: number;
}

/** Samples peak RSS of the stack's processes every `intervalMs` until stop(). */
export function sampleRss(
  stack: Pick<LectioStack, 'apiPids' | 'workerPid'>,
  intervalMs = 200,
): { stop(): RssPeaks; current(): RssPeaks } {
  const peaks: RssPeaks = { apiMb: 0, apiMaxProcessMb: 0, workerMb: 0, ffmpegMb: 0 };
  const sample = () => {
    const api = stack.apiPids().map(rssMb);
    peaks.apiMb = Math.max(
      peaks.apiMb,
      api.reduce((a, b) => a + b, 0),
    );
    peaks.apiMaxProcessMb = Math.max(peaks.apiMaxProcessMb, ...api);
    if (stack.workerPid !== undefined) {
      peaks.workerMb = Math.max(peaks.workerMb, rssMb(stack.workerPid));
      for (const pid of processTree(stack.workerPid)) {
        if (pid !== stack.workerPid && /^ff(mpeg|probe)$/.test(commandOf(pid)))
          peaks.ffmpegMb = Math.max(peaks.ffmpegMb, rssMb(pid));
      }
    }
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  return {
    current: () => ({ ...peaks }),
    stop() {
      clearInterval(timer);
      sample();
      return { ...peaks };
    },
  };
}

interface StudioVideo {
  id: string;
  status: string;
  failureCode: string | null;
  failureMessage: string | null;
  renditions: { name: string }[];
}

/**
 * The studio API as an instructor. Access tokens live at most 15 minutes and a big transcode takes
 * longer: on `token_expired` it signs in again, as the web app would refresh.
 */
export class StudioClient {
  private token = '';

  private constructor(
    readonly baseUrl: string,
    private readonly email: string,
    private readonly password: string,
  ) {}

  static async login(baseUrl: string, email: string, password: string): Promise<StudioClient> {
    const client = new StudioClient(baseUrl, email, password);
    await client.signIn();
    return client;
  }

  private async signIn(): Promise<void> {
    const res = await fetch(`${this.baseUrl}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: this.email, password: this.password }),
    });
    if (!res.ok) throw new Error(`log-in: ${res.status} ${await res.text()}`);
    this.token = ((await res.json()) as { accessToken: string }).accessToken;
  }

  async call<T>(method: string, route: string, body?: unknown, expect = [200, 201, 204]): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const send = () =>
        fetch(`${this.baseUrl}/api/v1${route}`, {
          method,
          headers: {
            authorization: `Bearer ${this.token}`,
            ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          },
          body: body !== undefined ? JSON.stringify(body) : undefined,
        });
      // A pooled connection the server closed as it idled is sent again once (these calls are
      // idempotent: the same part recorded twice, the same URLs asked twice), as the web app's
      // uploader retries.
      const res = await send().catch(() => send());
      if (res.status === 401 && attempt === 1) {
        await res.body?.cancel();
        await this.signIn();
        continue;
      }
      if (!expect.includes(res.status)) throw new Error(`${method} ${route}: ${res.status} ${await res.text()}`);
      return (res.status === 204 ? undefined : await res.json()) as T;
    }
  }
}

/** PUTs bytes [start, end) of `file` to `url`, streamed from disk; answers the ETag. */
function putPart(url: string, file: string, start: number, end: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const req = http.request(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname + target.search,
        method: 'PUT',
        headers: { 'content-length': String(end - start) },
        // One connection per part, as a browser's parallel PUTs: no idle pooled socket to find reset.
        agent: false,
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => {
          const etag = res.headers.etag;
          if (res.statusCode !== 200 || !etag) reject(new Error(`part PUT: ${res.statusCode} ${text}`));
          else resolve(etag);
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    createReadStream(file, { start, end: end - 1 })
      .on('error', reject)
      .pipe(req);
  });
}

/** start → part URLs (≤ 100 a call) → PUT and record each part, four in flight → complete. */
export async function uploadVideo(client: StudioClient, file: string): Promise<{ id: string; seconds: number }> {
  const started = performance.now();
  const size = statSync(file).size;
  const name = path.basename(file);
  const { video, upload } = await client.call<{
    video: { id: string };
    upload: { partSize: number; partCount: number };
  }>('POST', '/studio/videos/uploads', {
    filename: name,
    size,
    contentType: 'video/mp4',
    fingerprint: `${name}:${size}:${Date.now()}`,
  });
  const numbers = Array.from({ length: upload.partCount }, (_, i) => i + 1);
  let next = 0;
  const worker = async () => {
    while (next < numbers.length) {
      const batch = numbers.slice(next, next + CONCURRENCY);
      next += batch.length;
      const { urls } = await client.call<{ urls: { partNumber: number; url: string }[] }>(
        'POST',
        `/studio/videos/${video.id}/upload/part-urls`,
        { partNumbers: batch },
      );
      for (const { partNumber, url } of urls) {
        const start = (partNumber - 1) * upload.partSize;
        const end = Math.min(size, start + upload.partSize);
        // A part that fails on the network is sent again, as the web uploader retries it.
        const etag = await putPart(url, file, start, end).catch(() => putPart(url, file, start, end));
        await client.call('POST', `/studio/videos/${video.id}/upload/parts`, { partNumber, etag, size: end - start });
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  await client.call('POST', `/studio/videos/${video.id}/upload/complete`);
  return { id: video.id, seconds: (performance.now() - started) / 1000 };
}

async function waitForTranscode(client: StudioClient, id: string, timeoutMs: number): Promise<StudioVideo> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const video = await client.call<StudioVideo>('GET', `/studio/videos/${id}`);
    if (video.status === 'ready') return video;
    if (video.status === 'failed') throw new Error(`transcode failed: ${video.failureCode} ${video.failureMessage}`);
    if (Date.now() > deadline) throw new Error(`transcode of ${id} not done within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

export interface LargeUploadCase {
  bytes: number;
  uploadSeconds: number;
  uploadMBps: number;
  /** API RSS (sum of its processes) just before this upload started. */
  apiIdleMb: number;
  upload: RssPeaks;
  transcode: (RssPeaks & { seconds: number; renditions: string[] }) | null;
}

export interface LargeUploadJson {
  meta: BenchMeta;
  results: {
    apiProcesses: number;
    small: LargeUploadCase;
    big: LargeUploadCase;
    /** big ÷ small for each peak (≈ 1 when memory does not grow with the file). */
    ratios: { apiPeak: number; apiGrowth: number; workerPeak: number | null; ffmpegPeak: number | null };
    sizeRatio: number;
  };
}

export async function runLargeUploadBench(
  opts: LargeUploadOptions,
  log: (line: string) => void = () => undefined,
): Promise<LargeUploadJson> {
  const run = startMeta(opts.argv);
  const base = opts.workDir ?? os.tmpdir();
  assertDiskFor(base, opts.smallBytes + opts.bigBytes);
  const work = mkdtempSync(path.join(base, 'lectio-bench-upload-'));
  let stack: LectioStack | undefined;
  try {
    log(`generating ${(opts.smallBytes / MB).toFixed(0)} MB and ${(opts.bigBytes / MB).toFixed(0)} MB videos`);
    const [smallFile, bigFile] = await generateVideos(work, [opts.smallBytes, opts.bigBytes]);
    stack = await startLectioStack({ processes: os.availableParallelism(), worker: opts.transcode, log });
    const email = 'bench-instructor@example.com';
    const password = 'bench-instructor-password-1234';
    stack.cli(['create-user', '--email', email, '--role', 'instructor'], { LECTIO_PASSWORD: password });
    const client = await StudioClient.login(stack.url, email, password);

    const measure = async (file: string): Promise<LargeUploadCase> => {
      const bytes = statSync(file).size;
      const apiIdleMb = stack!
        .apiPids()
        .map(rssMb)
        .reduce((a, b) => a + b, 0);
      const uploading = sampleRss(stack!);
      const { id, seconds } = await uploadVideo(client, file);
      const upload = uploading.stop();
      log(
        `${(bytes / MB).toFixed(0)} MB uploaded in ${seconds.toFixed(1)} s; API RSS ${apiIdleMb.toFixed(0)} MB idle, ` +
          `peak ${upload.apiMb.toFixed(0)} MB`,
      );
      let transcode: LargeUploadCase['transcode'] = null;
      if (opts.transcode) {
        const started = performance.now();
        const transcoding = sampleRss(stack!);
        // Peaks so far, once a minute: a long transcode leaves numbers behind even if it is stopped.
        const progress = setInterval(() => {
          const now = transcoding.current();
          log(
            `  transcoding: worker peak ${now.workerMb.toFixed(0)} MB, ffmpeg peak ${now.ffmpegMb.toFixed(0)} MB so far`,
          );
        }, 60_000);
        let video: StudioVideo;
        try {
          video = await waitForTranscode(client, id, opts.transcodeTimeoutMs);
        } finally {
          clearInterval(progress);
        }
        const peaks = transcoding.stop();
        transcode = {
          ...peaks,
          seconds: (performance.now() - started) / 1000,
          renditions: video.renditions.map((r) => r.name),
        };
        log(
          `transcoded in ${transcode.seconds.toFixed(0)} s (${transcode.renditions.join(', ')}); worker peak ` +
            `${peaks.workerMb.toFixed(0)} MB, ffmpeg peak ${peaks.ffmpegMb.toFixed(0)} MB, API peak ${peaks.apiMb.toFixed(0)} MB`,
        );
      }
      return { bytes, uploadSeconds: seconds, uploadMBps: bytes / MB / seconds, apiIdleMb, upload, transcode };
    };
    let small: LargeUploadCase;
    let big: LargeUploadCase;
    try {
      small = await measure(smallFile!);
      big = await measure(bigFile!);
    } catch (error) {
      // What the server said about it, errors first: production logs are JSON lines.
      const lines = stack.output().split('\n');
      log(
        `failed; the Lectio processes' last errors:\n${lines
          .filter((l) => /"level":(50|60)/.test(l))
          .slice(-5)
          .join('\n')}`,
      );
      throw error;
    }
    const growth = (c: LargeUploadCase) => Math.max(1, c.upload.apiMb - c.apiIdleMb);
    return {
      meta: run.finish(),
      results: {
        apiProcesses: stack.processes,
        small,
        big,
        ratios: {
          apiPeak: big.upload.apiMb / small.upload.apiMb,
          apiGrowth: growth(big) / growth(small),
          workerPeak: big.transcode && small.transcode ? big.transcode.workerMb / small.transcode.workerMb : null,
          ffmpegPeak: big.transcode && small.transcode ? big.transcode.ffmpegMb / small.transcode.ffmpegMb : null,
        },
        sizeRatio: big.bytes / small.bytes,
      },
    };
  } finally {
    await stack?.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

const f = (n: number, digits = 0) => n.toFixed(digits);

/** The Large upload section of docs/benchmarks.md, from large-upload.json alone. */
export function renderLargeUploadMarkdown(json: LargeUploadJson): string {
  const { meta, results: r } = json;
  const lines = ['## Large upload', ''];
  lines.push(describeMetaBrief(meta));
  lines.push('');
  lines.push(
    `Two generated videos of the same codec, resolution and frame rate (720p intra-only MPEG-2 with grain, about 100 Mbit/s; ` +
      `only the length differs) uploaded in one run through the studio's resumable upload API as the web client does it ` +
      `(start, part URLs, PUT each part to the signed storage URL, record it, complete; ${CONCURRENCY} parts in flight) to ` +
      `\`lectio serve --api\` (${r.apiProcesses} process(es), production configuration, local storage), then transcoded by ` +
      `\`lectio serve --worker\`. RSS sampled from /proc every 200 ms; the API figure is the sum of its processes.`,
  );
  lines.push('');
  lines.push(
    '| file | upload s | MB/s | API RSS idle MB | API peak MB | worker peak MB | ffmpeg peak MB | transcode s |',
  );
  lines.push('|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const c of [r.small, r.big]) {
    lines.push(
      `| ${f(c.bytes / MB)} MB | ${f(c.uploadSeconds, 1)} | ${f(c.uploadMBps)} | ${f(c.apiIdleMb)} | ${f(c.upload.apiMb)} | ` +
        `${c.transcode ? f(c.transcode.workerMb) : '—'} | ${c.transcode ? f(c.transcode.ffmpegMb) : '—'} | ${c.transcode ? f(c.transcode.seconds) : '—'} |`,
    );
  }
  lines.push('');
  lines.push(
    `**For a ${f(r.sizeRatio, 1)}× larger file, peak RSS was ${f(r.ratios.apiPeak, 2)}× for the API**` +
      (r.ratios.workerPeak !== null ? `, ${f(r.ratios.workerPeak, 2)}× for the worker` : '') +
      (r.ratios.ffmpegPeak !== null ? ` and ${f(r.ratios.ffmpegPeak, 2)}× for ffmpeg` : '') +
      ` (target: does not grow with the file, ≈ 1). Raw numbers: [\`docs/benchmarks/large-upload.json\`](benchmarks/large-upload.json); ` +
      'CI runs a 20 MB vs 120 MB version (`server/test/large-upload.test.ts`).',
  );
  return lines.join('\n');
}

export async function mainLargeUpload(rest: string[]): Promise<void> {
  const opts = parseLargeUploadArgs(rest);
  const log = (line: string) => console.log(`[bench] ${line}`);
  const json = await runLargeUploadBench(opts, log);
  const r = json.results;
  log(
    `size ×${f(r.sizeRatio, 1)}: API peak ×${f(r.ratios.apiPeak, 2)}` +
      (r.ratios.workerPeak !== null ? `, worker peak ×${f(r.ratios.workerPeak, 2)}` : '') +
      (r.ratios.ffmpegPeak !== null ? `, ffmpeg peak ×${f(r.ratios.ffmpegPeak, 2)}` : ''),
  );
  if (opts.write) {
    writeBenchJson(JSON_OUT, json);
    log(`wrote ${JSON_OUT.pathname}`);
  } else {
    console.log(renderLargeUploadMarkdown(json));
  }
}

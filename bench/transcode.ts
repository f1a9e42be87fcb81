/**
 * `npm run bench -- transcode [--seconds 60] [--repetitions 3] [--no-parallel] [--hdr-seconds N | --no-hdr] [--smoke] [--no-write] [--rewrite-doc]`
 *
 * One-pass ladder (one ffmpeg process decodes once and encodes every rung) against one ffmpeg
 * process per rung (each decoding the source again), on the same generated 720p lecture, in the
 * same run, alternating the order each repetition. Writes docs/benchmarks/transcode.json and the
 * Transcode section of docs/benchmarks.md.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runFfmpeg } from '../server/src/platform/media/video/ffmpeg-process.js';
import {
  buildLadderArgs,
  buildPerRungArgs,
  planLadder,
  type LadderPlan,
} from '../server/src/platform/media/video/ladder.js';
import { measureRendition } from '../server/src/platform/media/video/master-playlist.js';
import { probeMedia } from '../server/src/platform/media/video/probe.js';
import { transcodeToHls } from '../server/src/platform/media/video/transcode.js';
import type { MediaTools, ProbeResult } from '../server/src/platform/media/video/types.js';
import { generateVideo } from '../server/test/support/media.js';
import { startMeta, type BenchMeta } from './lib/meta.js';

const DOC = new URL('../docs/benchmarks.md', import.meta.url);
const JSON_OUT = new URL('../docs/benchmarks/transcode.json', import.meta.url);
const START = '<!-- transcode-bench:start -->';
const END = '<!-- transcode-bench:end -->';
const TARGET_RATIO = 1.2;
const TARGET_REALTIME = 2;

export interface TranscodeBenchOptions {
  seconds: number;
  repetitions: number;
  preset: string;
  /** Also run per-rung processes two at a time (what a 2-core machine can overlap). */
  parallel: boolean;
  write: boolean;
  /** Length of the second input (HEVC 10-bit HDR, decoded and tone-mapped once vs per rung); 0 skips it. */
  hdrSeconds: number;
  /** Re-render the docs section from the saved JSON without measuring (after a wording change). */
  rewriteDoc?: boolean;
  tools: MediaTools;
}

export type Variant = 'one_pass' | 'per_rung_sequential' | 'per_rung_parallel_2';

export interface RungSize {
  name: string;
  width: number;
  height: number;
  bytes: number;
  bytesPerMinute: number;
  averageBandwidth: number;
  bandwidth: number;
}

export interface TranscodeBenchResult {
  input: { seconds: number; width: number; height: number; frameRate: number; sizeBytes: number; file: string };
  preset: string;
  rungs: string[];
  /** Wall seconds of each repetition, in run order. */
  runs: Record<Variant, number[]>;
  medians: Partial<Record<Variant, number>>;
  /**
   * CPU seconds (user + system) the variant's ffmpeg processes used, per repetition: far less
   * sensitive than wall time to other work on a shared machine, so it shows the saving itself.
   */
  cpu: Record<Variant, number[]>;
  cpuMedians: Partial<Record<Variant, number>>;
  /** Per-rung sequential CPU median ÷ one-pass CPU median. */
  cpuRatio: number;
  /** Per-rung sequential median ÷ one-pass median: above 1 means one pass is faster. */
  ratioSequential: number;
  ratioParallel: number | null;
  /** Seconds of video per second of wall time for the one-pass ladder. */
  realtimeFactor: number;
  /** The full pipeline (probe, ladder with poster and storyboard, master playlist), once. */
  pipeline: { wallSeconds: number; realtimeFactor: number };
  sizes: { one_pass: RungSize[]; per_rung: RungSize[] };
  /** The same comparison on a source that is expensive to decode: HEVC 10-bit HDR, tone-mapped to SDR. */
  hdr: {
    seconds: number;
    rungs: string[];
    runs: { one_pass: number[]; per_rung_sequential: number[] };
    cpu: { one_pass: number[]; per_rung_sequential: number[] };
    ratio: number;
    cpuRatio: number;
    realtimeFactor: number;
  } | null;
  /** Commit, command and machine of a written run (`npm run bench -- transcode`); absent in a smoke run. */
  meta?: BenchMeta;
  machine: {
    cpu: string;
    cores: number;
    memory: string;
    os: string;
    node: string;
    ffmpeg: string;
    load: string;
    date: string;
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The 720p lecture every variant encodes, generated once per length and kept in the temp dir. */
export async function benchInput(seconds: number): Promise<string> {
  const dir = path.join(os.tmpdir(), 'lectio-bench-media');
  const file = path.join(dir, `lecture-720p-${seconds}s-v2.mp4`);
  if (existsSync(file)) return file;
  await mkdir(dir, { recursive: true });
  const partial = `${file}.partial.mp4`;
  await generateVideo(partial, {
    seconds,
    width: 1280,
    height: 720,
    fps: 30,
    audio: true,
    preset: 'veryfast',
    crf: 18,
  });
  await rename(partial, file);
  return file;
}

/** A phone-style source: the same lecture as HEVC 10-bit HDR10, which the ladder must tone-map. */
export async function benchHdrInput(seconds: number): Promise<string> {
  const dir = path.join(os.tmpdir(), 'lectio-bench-media');
  const file = path.join(dir, `lecture-720p-hevc10-hdr-${seconds}s.mp4`);
  if (existsSync(file)) return file;
  await mkdir(dir, { recursive: true });
  const partial = `${file}.partial.mp4`;
  await generateVideo(partial, { seconds, width: 1280, height: 720, codec: 'hevc', hdr: true, crf: 18 });
  await rename(partial, file);
  return file;
}

async function sizesOf(outDir: string, plan: LadderPlan, durationSeconds: number): Promise<RungSize[]> {
  const sizes: RungSize[] = [];
  for (const rung of plan.rungs) {
    const m = await measureRendition(outDir, {
      name: rung.name,
      width: rung.width,
      height: rung.height,
      frameRate: plan.frameRate.value,
      playlist: `${rung.name}/index.m3u8`,
      hasAudio: plan.audioInput !== null,
      fallbackCodec: 'avc1.640028',
    });
    sizes.push({
      name: rung.name,
      width: rung.width,
      height: rung.height,
      bytes: m.bytes,
      bytesPerMinute: Math.round((m.bytes / durationSeconds) * 60),
      averageBandwidth: m.averageBandwidth,
      bandwidth: m.bandwidth,
    });
  }
  return sizes;
}

async function pool<T>(tasks: (() => Promise<T>)[], concurrency: number): Promise<T[]> {
  const results: T[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, tasks.length) }, async () => {
      while (next < tasks.length) {
        const i = next++;
        results[i] = await tasks[i]!();
      }
    }),
  );
  return results;
}

/**
 * CPU time of this process's finished children (cutime + cstime in /proc/self/stat): Node waits
 * for every ffmpeg it spawns, so the kernel adds their time here. NaN where there is no /proc.
 */
async function childCpuSeconds(): Promise<number> {
  try {
    const stat = await readFile('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 16 and 17 of stat(5); the slice starts at field 3. Ticks are 1/100 s on Linux.
    return (Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    return Number.NaN;
  }
}

async function runVariant(
  variant: Variant,
  input: string,
  plan: LadderPlan,
  outDir: string,
  opts: TranscodeBenchOptions,
): Promise<{ wall: number; cpu: number }> {
  const ffmpeg = { ffmpegPath: opts.tools.ffmpegPath, timeoutMs: 30 * 60_000 };
  const settings = { preset: opts.preset };
  const cpuBefore = await childCpuSeconds();
  const started = performance.now();
  if (variant === 'one_pass') {
    await runFfmpeg(buildLadderArgs(input, outDir, plan, settings), ffmpeg);
  } else {
    const perRung = buildPerRungArgs(input, outDir, plan, settings);
    await pool(
      perRung.map((args) => () => runFfmpeg(args, ffmpeg)),
      variant === 'per_rung_parallel_2' ? 2 : 1,
    );
  }
  const wall = (performance.now() - started) / 1000;
  return { wall, cpu: (await childCpuSeconds()) - cpuBefore };
}

function machine(loadBefore: number[]): TranscodeBenchResult['machine'] {
  const cpus = os.cpus();
  const load = (l: number[]) => l.map((n) => n.toFixed(1)).join(' / ');
  let ffmpeg = 'unknown';
  try {
    ffmpeg = execFileSync('ffmpeg', ['-version'], { encoding: 'utf8' }).split('\n')[0] ?? ffmpeg;
  } catch {
    // reported as unknown
  }
  return {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memory: `${Math.round(os.totalmem() / 2 ** 30)} GiB`,
    os: `${os.type()} ${os.release()} (${os.arch()})`,
    node: process.version,
    ffmpeg,
    load: `${load(loadBefore)} before, ${load(os.loadavg())} after (1 / 5 / 15 min)`,
    date: new Date().toISOString(),
  };
}

export async function runTranscodeBench(
  opts: TranscodeBenchOptions,
  log: (line: string) => void = () => undefined,
): Promise<TranscodeBenchResult> {
  const input = await benchInput(opts.seconds);
  const probe: ProbeResult = await probeMedia(input, {
    tools: opts.tools,
    limits: { maxDurationSeconds: 24 * 3600, maxLongSide: 8192 },
  });
  const plan = planLadder(probe);
  const loadBefore = os.loadavg();
  const work = await mkdtemp(path.join(os.tmpdir(), 'lectio-bench-transcode-'));
  try {
    const variants: Variant[] = ['one_pass', 'per_rung_sequential'];
    if (opts.parallel) variants.push('per_rung_parallel_2');
    const runs: Record<Variant, number[]> = { one_pass: [], per_rung_sequential: [], per_rung_parallel_2: [] };
    const cpu: Record<Variant, number[]> = { one_pass: [], per_rung_sequential: [], per_rung_parallel_2: [] };
    let sizes: TranscodeBenchResult['sizes'] | undefined;
    for (let rep = 0; rep < opts.repetitions; rep++) {
      // Rotate the order so neither variant always runs first (cold caches) or last (hot CPU).
      const order = variants.map((_, i) => variants[(i + rep) % variants.length]!);
      for (const variant of order) {
        const outDir = path.join(work, `${variant}-${rep}`);
        await mkdir(outDir, { recursive: true });
        const measured = await runVariant(variant, input, plan, outDir, opts);
        runs[variant].push(measured.wall);
        cpu[variant].push(measured.cpu);
        log(
          `rep ${rep + 1}/${opts.repetitions} ${variant.padEnd(20)} ${measured.wall.toFixed(2)} s wall, ` +
            `${measured.cpu.toFixed(2)} s CPU, load ${os.loadavg()[0]!.toFixed(1)}`,
        );
        if (rep === 0 && variant !== 'per_rung_parallel_2') {
          const rungSizes = await sizesOf(outDir, plan, probe.durationSeconds);
          sizes = {
            one_pass: variant === 'one_pass' ? rungSizes : (sizes?.one_pass ?? []),
            per_rung: variant === 'per_rung_sequential' ? rungSizes : (sizes?.per_rung ?? []),
          };
        }
        await rm(outDir, { recursive: true, force: true });
      }
    }

    let hdr: TranscodeBenchResult['hdr'] = null;
    if (opts.hdrSeconds > 0) {
      const hdrInput = await benchHdrInput(opts.hdrSeconds);
      const hdrProbe = await probeMedia(hdrInput, {
        tools: opts.tools,
        limits: { maxDurationSeconds: 24 * 3600, maxLongSide: 8192 },
      });
      const hdrPlan = planLadder(hdrProbe);
      const hdrRuns = { one_pass: [] as number[], per_rung_sequential: [] as number[] };
      const hdrCpu = { one_pass: [] as number[], per_rung_sequential: [] as number[] };
      const pair = ['one_pass', 'per_rung_sequential'] as const;
      for (let rep = 0; rep < opts.repetitions; rep++) {
        for (const variant of rep % 2 ? [...pair].reverse() : pair) {
          const outDir = path.join(work, `hdr-${variant}-${rep}`);
          await mkdir(outDir, { recursive: true });
          const measured = await runVariant(variant, hdrInput, hdrPlan, outDir, opts);
          hdrRuns[variant].push(measured.wall);
          hdrCpu[variant].push(measured.cpu);
          log(`hdr rep ${rep + 1}/${opts.repetitions} ${variant.padEnd(20)} ${measured.wall.toFixed(2)} s wall`);
          await rm(outDir, { recursive: true, force: true });
        }
      }
      hdr = {
        seconds: hdrProbe.durationSeconds,
        rungs: hdrPlan.rungs.map((r) => `${r.name} ${r.width}x${r.height}`),
        runs: hdrRuns,
        cpu: hdrCpu,
        ratio: median(hdrRuns.per_rung_sequential) / median(hdrRuns.one_pass),
        cpuRatio: median(hdrCpu.per_rung_sequential) / median(hdrCpu.one_pass),
        realtimeFactor: hdrProbe.durationSeconds / median(hdrRuns.one_pass),
      };
    }

    const pipelineOut = path.join(work, 'pipeline');
    const pipeline = await transcodeToHls(input, pipelineOut, {
      tools: opts.tools,
      limits: { maxDurationSeconds: 24 * 3600, maxLongSide: 8192 },
      timeoutMs: 30 * 60_000,
      preset: opts.preset,
    });
    log(`full pipeline ${pipeline.wallSeconds.toFixed(2)} s`);

    const medians: Partial<Record<Variant, number>> = {};
    const cpuMedians: Partial<Record<Variant, number>> = {};
    for (const v of variants) {
      medians[v] = median(runs[v]);
      cpuMedians[v] = median(cpu[v]);
    }
    const onePass = medians.one_pass!;
    return {
      input: {
        seconds: probe.durationSeconds,
        width: probe.video.displayWidth,
        height: probe.video.displayHeight,
        frameRate: probe.video.frameRate,
        sizeBytes: probe.sizeBytes,
        file: input,
      },
      preset: opts.preset,
      rungs: plan.rungs.map((r) => `${r.name} ${r.width}x${r.height}`),
      runs,
      medians,
      cpu,
      cpuMedians,
      cpuRatio: cpuMedians.per_rung_sequential! / cpuMedians.one_pass!,
      ratioSequential: medians.per_rung_sequential! / onePass,
      ratioParallel: medians.per_rung_parallel_2 ? medians.per_rung_parallel_2 / onePass : null,
      realtimeFactor: probe.durationSeconds / onePass,
      pipeline: { wallSeconds: pipeline.wallSeconds, realtimeFactor: probe.durationSeconds / pipeline.wallSeconds },
      sizes: sizes ?? { one_pass: [], per_rung: [] },
      hdr,
      machine: machine(loadBefore),
    };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

const f2 = (n: number) => n.toFixed(2);
const mb = (bytes: number) => (bytes / 1e6).toFixed(2);

export function renderTranscodeSection(r: TranscodeBenchResult): string {
  const m = r.machine;
  const lines = [START, '## Transcode', ''];
  lines.push(
    `Measured on ${m.date.slice(0, 10)} (${m.date})` +
      (r.meta ? ` at commit \`${r.meta.commit}\`${r.meta.dirty ? ' plus uncommitted changes' : ''}` : '') +
      ` on ${m.cpu} × ${m.cores}, ${m.memory} RAM, ${m.os}; Node ${m.node}; ${m.ffmpeg}. ` +
      `Load average ${m.load}: other work shared the machine, so compare the ratios more than the absolute times.`,
  );
  lines.push('');
  lines.push(
    `Input: a generated ${Math.round(r.input.seconds)} s ${r.input.width}×${r.input.height} ${r.input.frameRate} fps lecture ` +
      `(slides with text that change every 10 s, a moving pointer, a clock, a 220 Hz tone; ${mb(r.input.sizeBytes)} MB H.264 (x264 veryfast CRF 18, as a screen recorder exports) with AAC). ` +
      `Ladder: ${r.rungs.join(', ')}; x264 preset \`${r.preset}\`, capped CRF, 6 s segments with aligned keyframes, AAC stereo. ` +
      `Each variant ran ${r.runs.one_pass.length} time(s), the order rotated every repetition; medians below.`,
  );
  lines.push('');
  lines.push(
    '| variant | ffmpeg processes | wall time per run (s) | median wall (s) | realtime factor | wall vs one-pass | median CPU (s) | CPU vs one-pass |',
  );
  lines.push('|---|---:|---|---:|---:|---:|---:|---:|');
  const row = (name: string, variant: Variant, processes: string) => {
    const median = r.medians[variant];
    if (median === undefined) return;
    lines.push(
      `| ${name} | ${processes} | ${r.runs[variant].map(f2).join(', ')} | ${f2(median)} | ${f2(r.input.seconds / median)}× | ` +
        `${f2(median / r.medians.one_pass!)}× | ${f2(r.cpuMedians[variant]!)} | ${f2(r.cpuMedians[variant]! / r.cpuMedians.one_pass!)}× |`,
    );
  };
  row('one pass (decode once, split, encode every rung)', 'one_pass', '1');
  row('one process per rung, one after another', 'per_rung_sequential', String(r.rungs.length));
  row('one process per rung, two at a time', 'per_rung_parallel_2', String(r.rungs.length));
  lines.push('');
  lines.push(
    `**One pass is ${f2(r.ratioSequential)}× faster than one process per rung** (target ≥ ${TARGET_RATIO}×: ` +
      `${r.ratioSequential >= TARGET_RATIO ? 'met' : '**not met**'})` +
      (r.ratioParallel === null
        ? ''
        : r.ratioParallel >= 1
          ? `, ${f2(r.ratioParallel)}× faster than per-rung processes two at a time`
          : `, but per-rung processes two at a time were ${f2(1 / r.ratioParallel)}× faster than one pass`) +
      `; one process per rung used ${f2(r.cpuRatio)}× the CPU time of one pass (each of them decodes the source again)` +
      `. **The one-pass ladder runs at ${f2(r.realtimeFactor)}× realtime** (target ≥ ${TARGET_REALTIME}×: ` +
      `${r.realtimeFactor >= TARGET_REALTIME ? 'met' : '**not met**'}). ` +
      `The whole pipeline as the job runs it (probe and decode check, the ladder with poster and storyboard from the same decode, ` +
      `master playlist, JPEG/WebP poster, sprite) took ${f2(r.pipeline.wallSeconds)} s: ${f2(r.pipeline.realtimeFactor)}× realtime.`,
  );
  lines.push('');
  lines.push(
    'Why the gap is small on this input: decoding it costs about 1.3 s of CPU per minute of video ' +
      '(`ffmpeg -threads 1 -i input -f null -`), a few percent of encoding three rungs, so decoding once saves little ' +
      'CPU; and ffmpeg 5.1 runs one process’s decoding, filtering and encoder calls on a single thread, so one process ' +
      'keeps two cores less busy than two processes side by side. Sources that are expensive to decode (HEVC, 10-bit, ' +
      'high-bitrate camera files) gain more from decoding once.',
  );
  lines.push('');
  if (r.hdr) {
    const h = r.hdr;
    lines.push(
      `On a source that is expensive to decode, a generated ${Math.round(h.seconds)} s HEVC 10-bit HDR10 (PQ, BT.2020) ` +
        `version of the same lecture (a phone's format; ladder ${h.rungs.join(', ')}, tone-mapped to 8-bit SDR BT.709), ` +
        `**one pass is ${f2(h.ratio)}× faster** than one process per rung (wall per run: one pass ` +
        `${h.runs.one_pass.map(f2).join(', ')} s; per rung ${h.runs.per_rung_sequential.map(f2).join(', ')} s; ` +
        `CPU ratio ${f2(h.cpuRatio)}×) and runs at ${f2(h.realtimeFactor)}× realtime: decoding HEVC and tone mapping ` +
        'happen once instead of once per rung.',
    );
    lines.push('');
  }
  lines.push('Output size per rung (one pass; the per-rung processes produce the same within a few percent):');
  lines.push('');
  lines.push(
    '| rung | resolution | MB per minute of video | AVERAGE-BANDWIDTH (kbit/s) | BANDWIDTH, peak segment (kbit/s) | per-rung run, MB per minute |',
  );
  lines.push('|---|---|---:|---:|---:|---:|');
  for (const s of r.sizes.one_pass) {
    const other = r.sizes.per_rung.find((p) => p.name === s.name);
    lines.push(
      `| ${s.name} | ${s.width}×${s.height} | ${mb(s.bytesPerMinute)} | ${Math.round(s.averageBandwidth / 1000)} | ` +
        `${Math.round(s.bandwidth / 1000)} | ${other ? mb(other.bytesPerMinute) : '—'} |`,
    );
  }
  lines.push('');
  lines.push(
    'Raw numbers: [`docs/benchmarks/transcode.json`](benchmarks/transcode.json). ' +
      `Reproduce: \`${r.meta?.command ?? `npm run bench -- transcode --seconds ${Math.round(r.input.seconds)} --repetitions ${r.runs.one_pass.length}`}\`; ` +
      'CI runs the 6 s smoke version (`server/test/transcode-bench.test.ts`).',
  );
  lines.push(END);
  return lines.join('\n');
}

export async function writeReport(result: TranscodeBenchResult): Promise<void> {
  await mkdir(new URL('.', JSON_OUT), { recursive: true });
  const { file: _file, ...input } = result.input;
  await writeFile(JSON_OUT, `${JSON.stringify({ ...result, input }, null, 2)}\n`);
  const section = renderTranscodeSection(result);
  const current = existsSync(DOC) ? await readFile(DOC, 'utf8') : '# Benchmarks\n';
  const start = current.indexOf(START);
  const end = current.indexOf(END);
  const next =
    start >= 0 && end > start
      ? current.slice(0, start) + section + current.slice(end + END.length)
      : `${current.trimEnd()}\n\n${section}\n`;
  await writeFile(DOC, next);
  try {
    execFileSync('npx', ['prettier', '--write', DOC.pathname, JSON_OUT.pathname], { stdio: 'ignore' });
  } catch {
    // formatting is a nicety
  }
}

export function parseTranscodeArgs(rest: string[]): TranscodeBenchOptions {
  const opts: TranscodeBenchOptions = {
    seconds: 60,
    repetitions: 3,
    preset: process.env.TRANSCODE_PRESET ?? 'veryfast',
    parallel: true,
    hdrSeconds: 20,
    write: true,
    tools: { ffmpegPath: process.env.FFMPEG_PATH ?? 'ffmpeg', ffprobePath: process.env.FFPROBE_PATH ?? 'ffprobe' },
  };
  for (let i = 0; i < rest.length; i++) {
    const flag = rest[i];
    const number = () => {
      const n = Number(rest[++i]);
      if (!Number.isInteger(n) || n <= 0) throw new Error(`${flag} needs a positive whole number`);
      return n;
    };
    if (flag === '--seconds') opts.seconds = number();
    else if (flag === '--repetitions') opts.repetitions = number();
    else if (flag === '--preset') opts.preset = rest[++i] ?? opts.preset;
    else if (flag === '--no-parallel') opts.parallel = false;
    else if (flag === '--hdr-seconds') opts.hdrSeconds = number();
    else if (flag === '--no-hdr') opts.hdrSeconds = 0;
    else if (flag === '--no-write') opts.write = false;
    else if (flag === '--rewrite-doc') opts.rewriteDoc = true;
    else if (flag === '--smoke') Object.assign(opts, { seconds: 6, repetitions: 1, hdrSeconds: 0, write: false });
    else throw new Error(`unknown option ${flag}`);
  }
  return opts;
}

export async function mainTranscode(rest: string[]): Promise<void> {
  const opts = parseTranscodeArgs(rest);
  const log = (line: string) => console.log(`[bench] ${line}`);
  if (opts.rewriteDoc) {
    const saved = JSON.parse(await readFile(JSON_OUT, 'utf8')) as TranscodeBenchResult;
    await writeReport(saved);
    log(`rewrote the Transcode section of ${DOC.pathname} from ${JSON_OUT.pathname}`);
    return;
  }
  log(`transcode: ${opts.seconds} s 720p input, ${opts.repetitions} repetition(s), preset ${opts.preset}`);
  const run = startMeta(['transcode', ...rest]);
  const result = await runTranscodeBench(opts, log);
  result.meta = run.finish();
  log(
    `one pass ${f2(result.medians.one_pass!)} s, per rung ${f2(result.medians.per_rung_sequential!)} s ` +
      `(ratio ${f2(result.ratioSequential)}), realtime ${f2(result.realtimeFactor)}×`,
  );
  if (opts.write) {
    await writeReport(result);
    log(`wrote ${DOC.pathname} and ${JSON_OUT.pathname}`);
  } else {
    console.log(renderTranscodeSection(result));
  }
}

import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, statfs, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runFfmpeg } from './ffmpeg-process.js';
import { buildLadderArgs, buildStillArgs, planLadder, type LadderPlan } from './ladder.js';
import {
  avc1Codec,
  measureRendition,
  OutputIncompleteError,
  renderMasterPlaylist,
  type MeasuredRendition,
} from './master-playlist.js';
import { probeMedia } from './probe.js';
import {
  listTiles,
  planPoster,
  planStoryboard,
  renderStoryboardVtt,
  storyboardLayout,
  writePoster,
  writeStoryboardSprite,
} from './thumbnails.js';
import { TranscodeFailedError, type TranscodeOptions, type TranscodeResult } from './types.js';

const MASTER = 'master.m3u8';
const POSTER_JPEG = 'poster.jpg';
const POSTER_WEBP = 'poster.webp';
const SPRITE = 'storyboard.jpg';
const STORYBOARD_VTT = 'storyboard.vtt';
/** The ladder's share of the progress bar; measuring, the poster and the storyboard take the rest. */
const LADDER_SHARE = 96;

function profileIdc(profile: 'high' | 'main'): number {
  return profile === 'high' ? 0x64 : 0x4d;
}

/** Below this much free space, an output cut off without an error from ffmpeg is put down to a full disk. */
const LOW_DISK_BYTES = 256 * 1024 * 1024;

async function incompleteOutput(error: OutputIncompleteError, outDir: string): Promise<TranscodeFailedError> {
  const free = await statfs(outDir).then(
    (s) => s.bavail * s.bsize,
    () => Number.POSITIVE_INFINITY,
  );
  return free < LOW_DISK_BYTES
    ? new TranscodeFailedError('disk_full', `the disk filled up while writing the output: ${error.message}`)
    : new TranscodeFailedError('ffmpeg_failed', `ffmpeg finished but a write failed: ${error.message}`);
}

async function filesUnder(root: string, dir: string): Promise<string[]> {
  const entries = await readdir(path.join(root, dir), { withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => path.posix.join(dir, e.name));
}

/**
 * The whole pipeline on a local file: probe, one ffmpeg process for the ladder, the poster and
 * the storyboard tiles, then the master playlist from the measured segments. `outDir` should be
 * empty; on failure, whatever this call wrote there is removed again, and the scratch directory
 * (poster and tile PNGs) is removed on every exit path.
 */
export async function transcodeToHls(input: string, outDir: string, opts: TranscodeOptions): Promise<TranscodeResult> {
  const started = performance.now();
  const probe = await probeMedia(input, { tools: opts.tools, limits: opts.limits, signal: opts.signal });
  const plan: LadderPlan = planLadder(probe);
  const display = { width: probe.video.displayWidth, height: probe.video.displayHeight };
  const durationSeconds = probe.durationSeconds;

  const outDirExisted = existsSync(outDir);
  await mkdir(outDir, { recursive: true });
  // Names this call writes into outDir, so a failure removes exactly those.
  const written = [...plan.rungs.map((r) => r.name), MASTER, POSTER_JPEG, POSTER_WEBP, SPRITE, STORYBOARD_VTT];
  const scratch = await mkdtemp(path.join(opts.tempDir ?? os.tmpdir(), 'lectio-transcode-'));
  try {
    const top = plan.rungs[0]!;
    const poster = { file: path.join(scratch, 'poster.png'), ...planPoster(durationSeconds, top) };
    const storyboard = planStoryboard(durationSeconds, display);
    const tilesDir = path.join(scratch, 'tiles');
    await mkdir(tilesDir);

    const args = buildLadderArgs(
      input,
      outDir,
      plan,
      { preset: opts.preset ?? 'veryfast' },
      {
        poster,
        storyboard: {
          pattern: path.join(tilesDir, '%04d.png'),
          intervalSeconds: storyboard.intervalSeconds,
          width: storyboard.tileWidth,
          height: storyboard.tileHeight,
        },
      },
    );
    opts.logger?.info({ rungs: plan.rungs.map((r) => r.name), frameRate: plan.frameRate.value }, 'transcode started');
    const ffmpegOptions = {
      ffmpegPath: opts.tools.ffmpegPath,
      timeoutMs: opts.timeoutMs,
      signal: opts.signal,
      logger: opts.logger,
    };
    const ladder = await runFfmpeg(args, {
      ...ffmpegOptions,
      durationSeconds,
      onProgress: opts.onProgress ? (p) => opts.onProgress!(Math.round(p * LADDER_SHARE) / 100) : undefined,
    });

    const renditions: MeasuredRendition[] = [];
    for (const rung of plan.rungs) {
      renditions.push(
        await measureRendition(outDir, {
          name: rung.name,
          width: rung.width,
          height: rung.height,
          frameRate: plan.frameRate.value,
          playlist: `${rung.name}/index.m3u8`,
          hasAudio: plan.audioInput !== null,
          fallbackCodec: avc1Codec(profileIdc(rung.profile), 0, Math.round(Number(rung.level) * 10)),
        }).catch(async (error: unknown) => {
          throw error instanceof OutputIncompleteError ? await incompleteOutput(error, outDir) : error;
        }),
      );
    }
    await writeFile(path.join(outDir, MASTER), renderMasterPlaylist(renditions));

    if (!existsSync(poster.file)) {
      opts.logger?.warn({ atSeconds: poster.atSeconds }, 'no frame at the poster time; using the first frame');
      await runFfmpeg(buildStillArgs(input, plan, poster), ffmpegOptions);
    }
    const posterSize = await writePoster(poster.file, path.join(outDir, POSTER_JPEG), path.join(outDir, POSTER_WEBP));

    const tiles = await listTiles(tilesDir);
    if (tiles.length === 0) throw new TranscodeFailedError('ffmpeg_failed', 'ffmpeg wrote no storyboard tiles');
    const layout = storyboardLayout(storyboard, durationSeconds, tiles.length);
    await writeStoryboardSprite(tiles, layout, path.join(outDir, SPRITE));
    await writeFile(path.join(outDir, STORYBOARD_VTT), renderStoryboardVtt(layout, durationSeconds, SPRITE));
    opts.signal?.throwIfAborted();

    const files = [MASTER];
    for (const rung of plan.rungs) files.push(...(await filesUnder(outDir, rung.name)).sort());
    files.push(POSTER_JPEG, POSTER_WEBP, SPRITE, STORYBOARD_VTT);
    opts.onProgress?.(100);
    const wallSeconds = (performance.now() - started) / 1000;
    opts.logger?.info(
      { wallSeconds, ladderSeconds: ladder.wallSeconds, durationSeconds, files: files.length },
      'transcode finished',
    );
    return {
      probe,
      durationSeconds,
      masterPlaylist: MASTER,
      renditions: renditions.map((r) => ({
        name: r.name,
        width: r.width,
        height: r.height,
        bandwidth: r.bandwidth,
        averageBandwidth: r.averageBandwidth,
        codecs: r.codecs,
        frameRate: r.frameRate,
        playlist: r.playlist,
        segmentCount: r.segmentCount,
        bytes: r.bytes,
      })),
      poster: { jpeg: POSTER_JPEG, webp: POSTER_WEBP, ...posterSize },
      storyboard: {
        vtt: STORYBOARD_VTT,
        sprite: SPRITE,
        tileWidth: layout.tileWidth,
        tileHeight: layout.tileHeight,
        columns: layout.columns,
        rows: layout.rows,
        intervalSeconds: layout.intervalSeconds,
      },
      files,
      wallSeconds,
      realtimeFactor: durationSeconds / ladder.wallSeconds,
    };
  } catch (error) {
    await Promise.all(written.map((name) => rm(path.join(outDir, name), { recursive: true, force: true })));
    if (!outDirExisted) await rm(outDir, { recursive: true, force: true });
    if (opts.signal?.aborted && !(error instanceof TranscodeFailedError)) {
      throw new TranscodeFailedError('aborted', 'the transcode was stopped on request');
    }
    throw error;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

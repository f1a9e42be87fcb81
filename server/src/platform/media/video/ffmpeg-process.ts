import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { SpanStatusCode } from '@opentelemetry/api';
import { inSpan, toolSpanName } from '../../telemetry/tracing.js';
import { TranscodeFailedError, type MediaLogger } from './types.js';

/** What stays of stderr for an error message: the end is where ffmpeg says what went wrong. */
const STDERR_TAIL_BYTES = 4096;
/** ffmpeg finishes its files on SIGTERM; a process that ignores it for this long is killed. */
const TERM_GRACE_MS = 3_000;

export interface RunToolOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  /** Called with each chunk of stdout (progress lines); stdout is not kept when given. */
  onStdout?: (chunk: string) => void;
  /** Most stdout kept for the caller (ffprobe JSON); more fails the run. */
  maxStdoutBytes?: number;
}

export interface ToolResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderrTail: string;
  /** Why the run was stopped by us, if it was. */
  stopped: 'timeout' | 'aborted' | null;
  spawnError: NodeJS.ErrnoException | null;
  wallSeconds: number;
}

/**
 * An input path as ffmpeg must read it: a local file, never a protocol (`http:`, `concat:`, …)
 * or an option (a name starting with `-`), whatever the path looks like.
 */
export function fileInput(file: string): string {
  return file.startsWith('file:') ? file : `file:${file}`;
}

let setprivPath: string | null | undefined;
/**
 * util-linux's setpriv, found once: on Linux it gives the child a parent-death signal, so an
 * ffmpeg whose worker was SIGKILLed (a crash, the OOM killer) dies too instead of encoding on
 * for an hour into a scratch directory nobody will read. Without it (macOS) the child is spawned
 * directly.
 */
function findSetpriv(): string | null {
  if (setprivPath !== undefined) return setprivPath;
  setprivPath = null;
  if (process.platform !== 'linux') return setprivPath;
  // Where util-linux installs it; looked up by path so no environment is read here.
  for (const candidate of ['/usr/bin/setpriv', '/bin/setpriv', '/usr/local/bin/setpriv']) {
    try {
      accessSync(candidate, constants.X_OK);
      setprivPath = candidate;
      break;
    } catch {
      // not installed here
    }
  }
  return setprivPath;
}

function appendTail(tail: string, chunk: string): string {
  const next = tail + chunk;
  return next.length > STDERR_TAIL_BYTES ? next.slice(next.length - STDERR_TAIL_BYTES) : next;
}

/**
 * Runs a tool with an argument array (never a shell: file names come from users) and resolves
 * once the process has exited, even when it is stopped, so the caller's clean-up never races
 * a process still writing into the directory being removed.
 */
export function runTool(command: string, args: readonly string[], opts: RunToolOptions): Promise<ToolResult> {
  // One span per process run (ffprobe, the ladder, the stills), in the job's trace. The arguments
  // are not recorded: they hold the user's file names.
  return inSpan(
    toolSpanName(command),
    { attributes: { 'process.executable.name': toolSpanName(command) } },
    async (span) => {
      const result = await runUntraced(command, args, opts);
      span.setAttributes({
        'lectio.process.wall_seconds': Math.round(result.wallSeconds * 1000) / 1000,
        ...(result.exitCode !== null ? { 'process.exit.code': result.exitCode } : {}),
        ...(result.signal ? { 'lectio.process.signal': result.signal } : {}),
        ...(result.stopped ? { 'lectio.process.stopped': result.stopped } : {}),
      });
      if (result.exitCode !== 0 || result.spawnError) {
        const lastLine = result.stderrTail.trim().split('\n').pop() ?? '';
        span.setStatus({
          code: SpanStatusCode.ERROR,
          message:
            result.spawnError?.message ?? result.stopped ?? `exit ${result.exitCode ?? result.signal}: ${lastLine}`,
        });
      }
      return result;
    },
  );
}

function runUntraced(command: string, args: readonly string[], opts: RunToolOptions): Promise<ToolResult> {
  const started = performance.now();
  return new Promise((resolve) => {
    let stdout = '';
    let stdoutBytes = 0;
    let stderrTail = '';
    let stopped: ToolResult['stopped'] = null;
    let spawnError: NodeJS.ErrnoException | null = null;
    let killTimer: NodeJS.Timeout | undefined;

    if (opts.signal?.aborted) {
      resolve({
        exitCode: null,
        signal: null,
        stdout: '',
        stderrTail: '',
        stopped: 'aborted',
        spawnError: null,
        wallSeconds: 0,
      });
      return;
    }
    const setpriv = findSetpriv();
    // setpriv execs the tool, so the pid (and the signals sent to it) stay the tool's own.
    const child = setpriv
      ? spawn(setpriv, ['--pdeathsig', 'SIGKILL', '--', command, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
    const stop = (reason: 'timeout' | 'aborted') => {
      if (stopped || child.exitCode !== null || child.signalCode !== null) return;
      stopped = reason;
      child.kill('SIGTERM');
      killTimer = setTimeout(() => child.kill('SIGKILL'), TERM_GRACE_MS);
    };
    const timer = setTimeout(() => stop('timeout'), opts.timeoutMs);
    const onAbort = () => stop('aborted');
    opts.signal?.addEventListener('abort', onAbort, { once: true });

    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      if (opts.onStdout) {
        opts.onStdout(chunk);
        return;
      }
      stdoutBytes += Buffer.byteLength(chunk);
      if (opts.maxStdoutBytes !== undefined && stdoutBytes > opts.maxStdoutBytes) {
        stderrTail = appendTail(stderrTail, '\n[output larger than expected]');
        stop('aborted');
        return;
      }
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderrTail = appendTail(stderrTail, chunk);
    });
    child.on('error', (error: NodeJS.ErrnoException) => {
      spawnError = error;
    });
    child.on('close', (exitCode, signal) => {
      // setpriv reports a tool it cannot start with 127; that is our problem, not the file's.
      const notStarted = setpriv && exitCode === 127 ? /setpriv: failed to execute.*/.exec(stderrTail) : null;
      if (notStarted) spawnError = Object.assign(new Error(notStarted[0]), { code: 'ENOENT' });
      clearTimeout(timer);
      clearTimeout(killTimer);
      opts.signal?.removeEventListener('abort', onAbort);
      resolve({
        exitCode,
        signal,
        stdout,
        stderrTail,
        stopped,
        spawnError,
        wallSeconds: (performance.now() - started) / 1000,
      });
    });
  });
}

export interface RunFfmpegOptions {
  ffmpegPath: string;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Length of the input, to turn ffmpeg's output time into a percentage. */
  durationSeconds?: number;
  onProgress?: (percent: number) => void;
  logger?: MediaLogger;
}

const DISK_FULL = /No space left on device|File too large|Disk quota exceeded/i;

/** Parses `-progress` key=value lines; keeps an incomplete last line for the next chunk. */
export function progressParser(durationSeconds: number | undefined, onPercent: (percent: number) => void) {
  let pending = '';
  let last = -1;
  return (chunk: string) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      const [key, value] = line.trim().split('=', 2);
      let percent: number | undefined;
      // ffmpeg 5.1 writes out_time_ms in microseconds too; out_time_us is the unambiguous one.
      if (key === 'out_time_us' && durationSeconds && durationSeconds > 0) {
        const micros = Number(value);
        if (Number.isFinite(micros) && micros >= 0) percent = Math.min(99.9, micros / 1e4 / durationSeconds);
      } else if (key === 'progress' && value === 'end') {
        percent = 100;
      }
      if (percent !== undefined && percent > last) {
        last = percent;
        onPercent(Math.round(percent * 10) / 10);
      }
    }
  };
}

/**
 * Runs ffmpeg with progress on stdout. Resolves with the wall time; throws TranscodeFailedError
 * (timeout, aborted, disk_full, ffmpeg_failed) with the end of stderr, after the process is gone.
 */
export async function runFfmpeg(args: readonly string[], opts: RunFfmpegOptions): Promise<{ wallSeconds: number }> {
  const fullArgs = [
    '-hide_banner',
    '-nostdin',
    '-nostats',
    '-loglevel',
    'level+warning',
    '-progress',
    'pipe:1',
    ...args,
  ];
  const onStdout = opts.onProgress ? progressParser(opts.durationSeconds, opts.onProgress) : () => undefined;
  const result = await runTool(opts.ffmpegPath, fullArgs, { timeoutMs: opts.timeoutMs, signal: opts.signal, onStdout });
  const tail = result.stderrTail;
  if (result.stopped === 'timeout') {
    throw new TranscodeFailedError(
      'timeout',
      `ffmpeg did not finish within ${Math.round(opts.timeoutMs / 1000)} s and was stopped`,
      tail,
    );
  }
  if (result.stopped === 'aborted') throw new TranscodeFailedError('aborted', 'ffmpeg was stopped on request', tail);
  if (result.spawnError) {
    throw new TranscodeFailedError(
      'ffmpeg_failed',
      `could not start ffmpeg (${opts.ffmpegPath}): ${result.spawnError.message}`,
      tail,
    );
  }
  // SIGXFSZ: the process went over its file size limit (RLIMIT_FSIZE), a full disk by another name.
  if (result.signal === 'SIGXFSZ' || (result.exitCode !== 0 && DISK_FULL.test(tail))) {
    throw new TranscodeFailedError('disk_full', 'ffmpeg ran out of disk space while writing the output', tail);
  }
  if (result.exitCode !== 0) {
    opts.logger?.warn({ exitCode: result.exitCode, signal: result.signal, stderr: tail }, 'ffmpeg failed');
    const lastLine = tail.trim().split('\n').pop() ?? '';
    throw new TranscodeFailedError(
      'ffmpeg_failed',
      `ffmpeg exited with ${result.exitCode ?? result.signal}${lastLine ? `: ${lastLine}` : ''}`,
      tail,
    );
  }
  return { wallSeconds: result.wallSeconds };
}

#!/usr/bin/env node
// Checks (and, as root on Debian, installs) the system packages a command needs, so the README's
// two commands work on a fresh machine. Where it cannot install, it stops with the one command
// that would. npm-shipped ffmpeg/chromium builds are no substitute (see README).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const purpose = process.argv[2] ?? 'start';

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 19)) {
  console.error(`Lectio needs Node.js 20.19 or newer (22 LTS recommended); this is ${process.version}.`);
  process.exit(1);
}

function has(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

function hasPostgresServer() {
  return ['17', '16', '15'].some((v) => existsSync(`/usr/lib/postgresql/${v}/bin/initdb`)) || has('initdb');
}

function hasKoreanFont() {
  try {
    return execFileSync('fc-list', [':lang=ko'], { encoding: 'utf8' }).trim().length > 0;
  } catch {
    return false;
  }
}

/** Debian package → is it present? */
// ffmpeg/ffprobe: the video pipeline, and the demo lecture a fresh install transcodes at start.
const ffmpeg = () => (process.env.FFMPEG_PATH ? existsSync(process.env.FFMPEG_PATH) : has('ffmpeg')) && has('ffprobe');

const needs = {
  start: { ffmpeg },
  test: {
    ffmpeg,
    chromium: () => existsSync('/usr/bin/chromium'),
    'fonts-noto-cjk': hasKoreanFont,
    // The playback edge tests run nginx with njs; the certificate tests read PDFs with poppler.
    nginx: () => has('nginx'),
    'libnginx-mod-http-js': () => existsSync('/usr/lib/nginx/modules/ngx_http_js_module.so'),
    'poppler-utils': () => has('pdffonts') && has('pdftoppm') && has('pdftotext'),
    // Operations: alert rules (promtool), the load balancer's connection pooler, the PITR drill.
    prometheus: () => has('promtool'),
    pgbouncer: () => has('pgbouncer') || existsSync('/usr/sbin/pgbouncer'),
    pgbackrest: () => has('pgbackrest'),
    // The delivery bench's load client (autocannon cannot take in megabyte segments fast enough).
    wrk: () => has('wrk'),
    ...(process.env.TEST_DATABASE_URL ? {} : { postgresql: hasPostgresServer }),
    ...(process.env.TEST_REDIS_URL ? {} : { 'redis-server': () => has('redis-server') }),
  },
}[purpose];

if (!needs) {
  console.error(`unknown purpose ${purpose}`);
  process.exit(2);
}

const missing = Object.entries(needs)
  .filter(([, present]) => !present())
  .map(([pkg]) => pkg);
if (missing.length === 0) process.exit(0);

const install = `apt-get install -y --no-install-recommends ${missing.join(' ')}`;
if (process.getuid?.() === 0 && has('apt-get')) {
  console.log(`Installing Debian packages: ${missing.join(', ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('sh', ['-c', `apt-get update -qq && ${install}`], { stdio: 'inherit', env });
  // The Debian postgresql package starts a cluster we do not use: the tests run their own.
  process.exit(0);
}
console.error(
  `Missing system packages for "${purpose}": ${missing.join(', ')}.\nInstall them with:\n  sudo ${install}`,
);
process.exit(1);

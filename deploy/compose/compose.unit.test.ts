import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

/**
 * No Docker engine runs in CI, so the compose file is checked the two ways that need none: against
 * the Compose specification's own JSON schema (vendored beside it), and for the wiring this
 * repository depends on (files it names exist, every placeholder of the nginx config is given).
 */
const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const read = (file: string) => readFileSync(path.join(here, file), 'utf8');

interface Service {
  build?: { context: string; dockerfile: string };
  image?: string;
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test?: string[]; disable?: boolean };
}
interface ComposeFile {
  services: Record<string, Service>;
}

// `<<` merge keys are YAML 1.1, which Compose accepts; the yaml package needs to be told.
const composeText = read('compose.yaml');
const compose = parse(composeText, { merge: true }) as ComposeFile;

function compileSchema() {
  // The schema names draft-07 by an https URL Ajv does not know; its keywords are draft-07's.
  const ajv = new Ajv({ allErrors: true, strict: false, validateSchema: false });
  return ajv.compile(JSON.parse(read('compose-spec.json')) as object);
}

describe('compose.yaml against the Compose specification schema', () => {
  const validate = compileSchema();

  it('is the vendored schema, unmodified', () => {
    const digest = createHash('sha256').update(read('compose-spec.json')).digest('hex');
    expect(read('COMPOSE-SPEC-NOTICE.md')).toContain(digest);
  });

  it('validates', () => {
    const valid = validate(compose);
    expect(validate.errors ?? [], JSON.stringify(validate.errors, null, 2)).toEqual([]);
    expect(valid).toBe(true);
  });

  it('would catch a mistake (the validator is not a rubber stamp)', () => {
    const broken = structuredClone(compose) as unknown as { services: Record<string, Record<string, unknown>> };
    broken.services['api-1']!.restart_policy = 'always';
    broken.services.worker!.depends_on = { postgres: { condition: 'when_ready' } };
    expect(validate(broken)).toBe(false);
    const paths = (validate.errors ?? []).map((e) => e.instancePath);
    expect(paths).toContain('/services/api-1');
    expect(paths.some((p) => p.startsWith('/services/worker/depends_on'))).toBe(true);
  });
});

describe('compose.yaml wiring', () => {
  const services = compose.services;

  it('runs PostgreSQL, Redis, an S3-compatible store, two API instances, a worker and nginx', () => {
    expect(Object.keys(services).sort()).toEqual(['api-1', 'api-2', 'lb', 'minio', 'postgres', 'redis', 'worker']);
    expect(services['api-1']!.command).toEqual(['serve', '--api']);
    expect(services['api-2']!.command).toEqual(['serve', '--api']);
    expect(services.worker!.command).toEqual(['serve', '--worker']);
  });

  it('builds the app services from deploy/docker/Dockerfile with the repository as context', () => {
    for (const name of ['api-1', 'api-2', 'worker']) {
      const build = services[name]!.build!;
      const context = path.resolve(here, build.context);
      expect(context).toBe(root);
      expect(existsSync(path.join(context, build.dockerfile))).toBe(true);
      expect(existsSync(path.join(context, '.dockerignore'))).toBe(true);
    }
  });

  it('starts the app only once its data services are healthy, each of which has a health check', () => {
    for (const name of ['api-1', 'api-2', 'worker']) {
      const deps = services[name]!.depends_on!;
      for (const dep of ['postgres', 'redis', 'minio']) expect(deps[dep]).toEqual({ condition: 'service_healthy' });
      for (const [dep, { condition }] of Object.entries(deps)) {
        if (condition === 'service_healthy' && !['api-1', 'api-2'].includes(dep)) {
          expect(services[dep]!.healthcheck?.test, dep).toBeDefined();
        }
      }
    }
  });

  it('gives nginx deploy/nginx/lb.conf and a value for each of its placeholders', () => {
    const lb = services.lb!;
    const mount = lb.volumes!.find((v) => v.includes('lb.conf'))!;
    const [source, target] = mount.split(':');
    const lbConf = readFileSync(path.resolve(here, source!), 'utf8');
    // The official image renders /etc/nginx/templates/*.template into conf.d (inside `http { }`).
    expect(target).toMatch(/^\/etc\/nginx\/templates\/.+\.template$/);
    const placeholders = new Set([...lbConf.matchAll(/\$\{(LECTIO_[A-Z0-9_]+)\}/g)].map((m) => m[1]!));
    expect(placeholders.size).toBeGreaterThan(0);
    for (const name of placeholders) expect(lb.environment, name).toHaveProperty(name);
    // Every API instance is an upstream of the load balancer.
    const upstreams = Object.entries(lb.environment!)
      .filter(([k]) => /^LECTIO_API_\d+$/.test(k))
      .map(([, v]) => v.split(':')[0]);
    expect(upstreams.sort()).toEqual(['api-1', 'api-2']);
    expect(lb.environment!.NGINX_ENVSUBST_FILTER).toBe('^LECTIO_');
  });

  it('takes every secret from the environment (.env), with no default', () => {
    const env = services['api-1']!.environment!;
    for (const name of [
      'DB_PASSWORD',
      'S3_SECRET_ACCESS_KEY',
      'APP_SECRET',
      'JWT_SIGNING_KEYS',
      'PLAYBACK_SIGNING_KEY',
    ]) {
      expect(env[name], name).toMatch(/^\$\{[A-Z_]+:\?.+\}$/);
    }
  });
});

describe('deploy/docker/Dockerfile', () => {
  const dockerfile = readFileSync(path.join(root, 'deploy/docker/Dockerfile'), 'utf8');

  it('is multi-stage on Node 22 (Debian) with Debian’s ffmpeg, entering through the script CI runs', () => {
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:22-bookworm-slim$/m);
    expect([...dockerfile.matchAll(/^FROM \S+ AS (\S+)$/gm)].map((m) => m[1])).toEqual([
      'build',
      'prod-deps',
      'runtime',
    ]);
    expect(dockerfile).toMatch(/apt-get install[^\n]*\bffmpeg\b/);
    // `lectio backup` runs pg_dump in the worker.
    expect(dockerfile).toMatch(/apt-get install[^\n]*\bpostgresql-client\b/);
    expect(dockerfile).toContain('ENTRYPOINT ["/app/deploy/docker/entrypoint.sh"]');
    expect(dockerfile).toMatch(/^COPY deploy\/docker\/entrypoint\.sh deploy\/docker\/entrypoint\.sh$/m);
    expect(dockerfile).toMatch(/^USER node$/m);
  });

  it('copies only paths that exist and that .dockerignore lets through', () => {
    const ignored = readFileSync(path.join(root, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    expect(ignored).toContain('**/node_modules');
    const sources = [...dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((m) => m[1]!.split(' '));
    for (const source of sources) {
      expect(existsSync(path.join(root, source)), source).toBe(true);
      expect(
        ignored.some((pattern) => source === pattern || source.startsWith(`${pattern}/`)),
        source,
      ).toBe(false);
    }
  });
});

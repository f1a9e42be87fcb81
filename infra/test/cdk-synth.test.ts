import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';

/**
 * One smoke run of the real CLI, as CI and a deployer run it: `cdk synth` with cdk.json's app,
 * offline (dummy credentials, the STS endpoint pointed at a closed local port, no instance
 * metadata), with aws-cdk-lib's CloudFormation validation on. The assertions on the template
 * itself are in stack.test.ts, synthesised in-process.
 */
const infra = fileURLToPath(new URL('..', import.meta.url));
const cdk = path.join(path.dirname(fileURLToPath(import.meta.resolve('aws-cdk/package.json'))), 'bin', 'cdk');
const out = mkdtempSync(path.join(os.tmpdir(), 'lectio-cdk-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

it('cdk synth runs offline and the template passes CloudFormation validation', async () => {
  const { PATH, HOME } = process.env;
  const env = {
    PATH,
    HOME,
    CDK_DISABLE_VERSION_CHECK: '1',
    CDK_DISABLE_CLI_TELEMETRY: 'true',
    AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'not-a-real-secret-access-key-for-synth-only',
    AWS_REGION: 'ap-northeast-2',
    AWS_EC2_METADATA_DISABLED: 'true',
    // The CLI asks STS for the default account; it gets a refused connection on loopback at once.
    AWS_ENDPOINT_URL_STS: 'http://127.0.0.1:9',
  };
  const started = Date.now();
  const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [cdk, 'synth', '--quiet', '--no-notices', '--output', out], {
      cwd: infra,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 150_000);
    child.on('error', reject);
    child.on('close', (exitCode) => {
      clearTimeout(timer);
      resolve({ code: exitCode, output });
    });
  });
  console.log(`cdk synth took ${((Date.now() - started) / 1000).toFixed(1)} s`);
  expect(code, output).toBe(0);
  expect(output).not.toMatch(/\bERROR\b/);

  const template = JSON.parse(readFileSync(path.join(out, 'Lectio.template.json'), 'utf8')) as {
    Resources: Record<string, { Type: string }>;
  };
  expect(Object.values(template.Resources).filter((r) => r.Type === 'AWS::ECS::Service')).toHaveLength(3);
  // No lookups were needed: nothing was missing from the context.
  const manifest = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8')) as { missing?: unknown[] };
  expect(manifest.missing ?? []).toEqual([]);
  const report = JSON.parse(readFileSync(path.join(out, 'validation-report.json'), 'utf8')) as {
    pluginReports: { pluginName: string; conclusion: string; violations: unknown[] }[];
  };
  for (const plugin of report.pluginReports) {
    expect(plugin.violations, plugin.pluginName).toEqual([]);
    expect(plugin.conclusion).toBe('success');
  }
}, 180_000);

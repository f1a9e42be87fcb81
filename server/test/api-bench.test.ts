import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseApiArgs, renderApiSection, runApiBench, SCENARIOS } from '../../bench/api/index.js';
import { renderApiWrkSection } from '../../bench/api-wrk.js';
import { renderDocument } from '../../bench/lib/report.js';

/**
 * The API benchmark's smoke run: exactly the code of `npm run bench -- api` (private PostgreSQL and
 * Redis, bulk seed, Lectio from server/dist in production configuration with a worker, the Fastify
 * hello-world ceiling, autocannon in a second process), on 200 courses, 1,000 students and
 * 10,000 progress rows, 1 s per scenario at 4 connections. Speed is not asserted (CI machines are
 * noisy); that every hot path answered, only with the statuses it should, and that the JSON
 * renders into the markdown, is.
 */
describe('API benchmark smoke run', { timeout: 170_000 }, () => {
  it('loads every hot path, with no unexpected answer, and renders the report', async () => {
    expect(existsSync(new URL('../dist/main/cli.js', import.meta.url)), 'build the server first').toBe(true);
    const opts = parseApiArgs(['--smoke', '--statements']);
    expect(opts).toMatchObject({ smoke: true, write: false, connections: [4], durationSeconds: 1, statements: true });
    const result = await runApiBench(opts, ['api', '--smoke', '--statements']);

    expect(result.scenarios.map((s) => s.scenario)).toEqual(SCENARIOS.map((s) => s.name));
    for (const s of result.scenarios) {
      expect(s.requests, s.scenario).toBeGreaterThan(0);
      expect({ scenario: s.scenario, unexpected: s.unexpected, statuses: s.statusCounts }).toEqual({
        scenario: s.scenario,
        unexpected: 0,
        statuses: expect.any(Object),
      });
      expect(s.latencyMs.p99, s.scenario).toBeGreaterThanOrEqual(s.latencyMs.p50);
      expect(s.cpuMsPerRequest, s.scenario).toBeGreaterThan(0);
      expect(s.rssMaxPerProcessMb, s.scenario).toBeGreaterThan(0);
      expect(s.ratioToCeiling, s.scenario).toBeGreaterThan(0);
    }
    // The webhook run paid orders (real work, not redeliveries), and the cold list never repeated a path.
    const webhook = result.scenarios.find((s) => s.scenario === 'webhook')!;
    expect(webhook.notes.ordersPaid).toBeGreaterThan(0);
    const cold = result.scenarios.find((s) => s.scenario === 'list_cold')!;
    expect(cold.notes.distinctPaths).toBeGreaterThanOrEqual(cold.requests);
    // --statements: each run names what PostgreSQL spent its time on; an uncached list page reads
    // courses, at least once per request that reached the database.
    expect(result.setup.postgres.settings.shared_preload_libraries).toBe('pg_stat_statements');
    const coldStatements = cold.statements ?? [];
    expect(coldStatements.length).toBeGreaterThan(0);
    const page = coldStatements.find((st) => st.query.startsWith('select … from (select "id" from "courses"'));
    expect(page, JSON.stringify(coldStatements)).toBeDefined();
    expect(page!.calls).toBeGreaterThan(0);
    expect(page!.meanMs).toBeGreaterThan(0);
    expect(result.scenarios.every((s) => Array.isArray(s.statements))).toBe(true);
    expect(result.ceiling[0]!.runs.length).toBeGreaterThanOrEqual(2);
    // The same-size ceiling answered as many bytes as the warm list, within a few percent.
    const warm = result.scenarios.find((s) => s.scenario === 'list_warm')!;
    const sized = result.sizedCeiling?.find((x) => x.connections === warm.connections);
    expect(sized?.run.unexpected).toBe(0);
    expect(sized!.run.requests).toBeGreaterThan(0);
    const warmBytes = warm.bytesPerSecond / warm.requestsPerSecond;
    expect(Math.abs(sized!.bytesPerAnswer - warmBytes) / warmBytes).toBeLessThan(0.05);
    expect(result.meta.commit).toMatch(/^[0-9a-f]+|unknown$/);
    expect(result.targets.some((t) => t.scenario === 'list_warm')).toBe(true);

    // The markdown is generated from the JSON alone: a JSON round trip renders the same section.
    const section = renderApiSection(JSON.parse(JSON.stringify(result)) as typeof result);
    expect(section).toBe(renderApiSection(result));
    expect(section).toContain('## API hot paths');
    expect(section).toContain('Payment webhook intake');
    expect(section).toContain('same-size ceiling');
    const { doc, done } = await renderDocument('# Benchmarks\n');
    expect(done.length).toBeGreaterThan(0);
    expect(doc).toContain('-bench:start -->');
  });

  it('with --client wrk, loads what wrk can send through it, counting every status code', async () => {
    const argv = ['--smoke', '--client', 'wrk', '--only', 'list_warm,heartbeat,login'];
    const opts = parseApiArgs(argv);
    expect(opts.client).toBe('wrk');
    expect(() => parseApiArgs(['--client', 'ab'])).toThrow(/autocannon or wrk/);
    const result = await runApiBench(opts, ['api', ...argv]);

    const by = new Map(result.scenarios.map((s) => [s.scenario, s]));
    const warm = by.get('list_warm')!;
    const heartbeat = by.get('heartbeat')!;
    const login = by.get('login')!;
    expect([warm.client, heartbeat.client, login.client]).toEqual(['wrk', 'wrk', 'autocannon']);
    // wrk alone only tells 2xx/3xx from the rest; here each answer's own code was counted.
    expect(warm.statusCounts).toEqual({ '200': warm.requests });
    expect(heartbeat.statusCounts).toEqual({ '202': heartbeat.requests });
    expect(login.unexpected).toBe(0);
    expect(result.ceiling[0]!.runs.every((r) => (r as { client?: string }).client === 'wrk')).toBe(true);
    const section = renderApiWrkSection(JSON.parse(JSON.stringify(result)) as typeof result);
    expect(section).toMatch(/^## API hot paths, loaded by wrk/);
    expect(section).toContain("Debian's wrk");
    expect(section).toContain('but `login`');
    expect(section).toContain('benchmarks/api-wrk.json');
    expect(section).toContain('--client wrk');
  });
});

import { describe, expect, it } from 'vitest';
import {
  advisoriesFrom,
  auditFailureReason,
  evaluateAudit,
  isAuditReport,
  isExpired,
  parseExceptions,
} from './audit-policy.mjs';
import { declaredLicence, evaluateLicences, isAllowedLicence, renderLicences } from './licence-policy.mjs';

/** An `npm audit --json` (auditReportVersion 2) answer in the shape npm 10/11 prints. */
const report = {
  auditReportVersion: 2,
  vulnerabilities: {
    minimist: {
      name: 'minimist',
      severity: 'critical',
      via: [
        {
          source: 1096887,
          name: 'minimist',
          title: 'Prototype Pollution in minimist',
          url: 'https://github.com/advisories/GHSA-xvch-5gv4-984h',
          severity: 'critical',
          range: '<0.2.4',
        },
      ],
      nodes: ['node_modules/minimist'],
      fixAvailable: true,
    },
    // Vulnerable only through minimist: a string `via`, no advisory of its own.
    mkdirp: { name: 'mkdirp', severity: 'critical', via: ['minimist'], nodes: ['node_modules/mkdirp'] },
    semver: {
      name: 'semver',
      severity: 'moderate',
      via: [
        {
          source: 1101088,
          name: 'semver',
          title: 'semver vulnerable to Regular Expression Denial of Service',
          url: 'https://github.com/advisories/GHSA-c2qf-rxjj-qqgw',
          severity: 'moderate',
          range: '>=7.0.0 <7.5.2',
        },
      ],
      nodes: ['node_modules/semver'],
    },
    tar: {
      name: 'tar',
      severity: 'high',
      via: [
        {
          source: 1097493,
          name: 'tar',
          title: 'Arbitrary File Creation/Overwrite',
          url: 'https://github.com/advisories/GHSA-r628-mhmh-qjhw',
          severity: 'high',
          range: '<4.4.18',
        },
      ],
      nodes: ['node_modules/tar'],
    },
  },
  metadata: { vulnerabilities: { critical: 2, high: 1, moderate: 1, low: 0, info: 0, total: 4 } },
};

const TODAY = '2026-11-27';
const exception = (id: string, pkg: string, expires: string) => ({
  id,
  package: pkg,
  reason: 'not reachable',
  expires,
});

describe('audit policy', () => {
  it('reads one advisory per GHSA id and package, skipping entries only vulnerable through another', () => {
    const advisories = advisoriesFrom(report);
    expect(advisories.map((a) => [a.package, a.id, a.severity])).toEqual([
      ['minimist', 'GHSA-xvch-5gv4-984h', 'critical'],
      ['semver', 'GHSA-c2qf-rxjj-qqgw', 'moderate'],
      ['tar', 'GHSA-r628-mhmh-qjhw', 'high'],
    ]);
  });

  it('fails on high and critical advisories without an exception, not on moderate ones', () => {
    const verdict = evaluateAudit(advisoriesFrom(report), [], TODAY);
    expect(verdict.ok).toBe(false);
    expect(verdict.blocking.map((a) => a.package)).toEqual(['minimist', 'tar']);
    expect(verdict.below.map((a) => a.package)).toEqual(['semver']);
  });

  it('passes when every blocking advisory has a live exception for that package, by GHSA or numeric id', () => {
    const verdict = evaluateAudit(
      advisoriesFrom(report),
      [exception('ghsa-xvch-5gv4-984h', 'minimist', '2026-12-31'), exception('1097493', 'tar', TODAY)],
      TODAY,
    );
    expect(verdict.ok).toBe(true);
    expect(verdict.excepted.map((e) => e.advisory.package)).toEqual(['minimist', 'tar']);
  });

  it('an exception for the same advisory in another package does not cover it', () => {
    const verdict = evaluateAudit(
      advisoriesFrom(report),
      [exception('GHSA-xvch-5gv4-984h', 'mkdirp', '2026-12-31'), exception('GHSA-r628-mhmh-qjhw', 'tar', '2026-12-31')],
      TODAY,
    );
    expect(verdict.blocking.map((a) => a.package)).toEqual(['minimist']);
    expect(verdict.unused.map((e) => e.package)).toEqual(['mkdirp']);
  });

  it('an exception is valid through its expiry day; once expired it covers nothing and fails even unused', () => {
    expect(isExpired({ expires: TODAY }, TODAY)).toBe(false);
    expect(isExpired({ expires: '2026-11-26' }, TODAY)).toBe(true);
    const lapsed = exception('GHSA-r628-mhmh-qjhw', 'tar', '2026-11-26');
    const verdict = evaluateAudit(
      advisoriesFrom(report),
      [exception('GHSA-xvch-5gv4-984h', 'minimist', '2027-01-01'), lapsed],
      TODAY,
    );
    expect(verdict.ok).toBe(false);
    expect(verdict.blocking.map((a) => a.package)).toEqual(['tar']);
    expect(verdict.expired).toEqual([lapsed]);
    const clean = { ...report, vulnerabilities: {} };
    expect(evaluateAudit(advisoriesFrom(clean), [lapsed], TODAY)).toMatchObject({ ok: false, expired: [lapsed] });
    expect(evaluateAudit(advisoriesFrom(clean), [], TODAY).ok).toBe(true);
  });

  it('refuses exceptions without an id, package, reason or a YYYY-MM-DD expiry', () => {
    const { exceptions, problems } = parseExceptions({
      exceptions: [
        exception('GHSA-r628-mhmh-qjhw', 'tar', '2026-12-31'),
        { id: 'GHSA-xvch-5gv4-984h', package: 'minimist', expires: '2026-12-31' },
        exception('1', 'x', '31/12/2026'),
        exception('2', 'y', '2026-13-45'),
      ],
    });
    expect(exceptions.map((e) => e.package)).toEqual(['tar']);
    expect(problems).toEqual([
      'exceptions[1] lacks reason',
      'exceptions[2] (1) expires "31/12/2026": use YYYY-MM-DD',
      'exceptions[3] (2) expires "2026-13-45": use YYYY-MM-DD',
    ]);
    expect(parseExceptions({}).problems).toEqual(['the file must be an object with an "exceptions" array']);
  });

  it('tells a report from npm failing to get one', () => {
    expect(isAuditReport(report)).toBe(true);
    const refused = {
      message: '405 Method Not Allowed - POST https://registry.npmjs.org/-/npm/v1/security/advisories/bulk',
      statusCode: 405,
      error: { summary: '', detail: '' },
    };
    expect(isAuditReport(refused)).toBe(false);
    expect(auditFailureReason(refused)).toBe(`${refused.message} — HTTP 405`);
    expect(isAuditReport({ error: { code: 'ENOLOCK', summary: 'needs a lockfile' } })).toBe(false);
  });
});

describe('licence policy', () => {
  const allow = ['MIT', 'ISC', 'Apache-2.0', 'BSD-3-Clause'];

  it('reads the licence from license, its old object form, or the older licenses array', () => {
    expect(declaredLicence({ license: 'MIT' })).toBe('MIT');
    expect(declaredLicence({ license: { type: 'ISC' } })).toBe('ISC');
    expect(declaredLicence({ licenses: [{ type: 'MIT' }, { type: 'Apache-2.0' }] })).toBe('(MIT OR Apache-2.0)');
    expect(declaredLicence({})).toBeUndefined();
  });

  it('judges SPDX expressions: OR needs one allowed licence, AND needs all', () => {
    expect(isAllowedLicence('MIT', allow)).toBe(true);
    expect(isAllowedLicence('mit', allow)).toBe(true);
    expect(isAllowedLicence('GPL-3.0-only', allow)).toBe(false);
    expect(isAllowedLicence('(MIT OR GPL-3.0-or-later)', allow)).toBe(true);
    expect(isAllowedLicence('(MIT AND GPL-3.0-or-later)', allow)).toBe(false);
    expect(isAllowedLicence('(MIT AND (ISC OR GPL-2.0))', allow)).toBe(true);
    expect(isAllowedLicence('Apache-2.0 WITH LLVM-exception', allow)).toBe(true);
    expect(isAllowedLicence('LGPL-2.1+', allow)).toBe(false);
    for (const broken of [undefined, '', 'UNLICENSED', 'SEE LICENSE IN LICENSE.md', '(MIT', 'MIT OR', 'MIT )']) {
      expect(isAllowedLicence(broken, allow), String(broken)).toBe(false);
    }
  });

  it('fails on a licence outside the list unless an exception names the package and its exact licence', () => {
    const packages = [
      { name: 'a', version: '1.0.0', licence: 'MIT' },
      { name: 'libvips', version: '8.0.0', licence: 'LGPL-3.0-or-later' },
      { name: 'undeclared', version: '2.0.0', licence: undefined },
      { name: 'copyleft', version: '1.0.0', licence: 'GPL-3.0-only' },
    ];
    const policy = {
      allow,
      exceptions: {
        libvips: { licence: 'LGPL-3.0-or-later', reason: 'dynamically linked' },
        undeclared: { licence: '(none declared)', reason: 'LICENSE file is MIT' },
        // Recorded for another licence: a relicensed package must be reviewed again.
        copyleft: { licence: 'MIT', reason: 'was MIT' },
      },
    };
    const verdict = evaluateLicences(packages, policy);
    expect(verdict.ok).toBe(false);
    expect(verdict.violations.map((p) => p.name)).toEqual(['copyleft']);
    expect(verdict.excepted.map((p) => p.name)).toEqual(['libvips', 'undeclared']);
    expect(evaluateLicences(packages.slice(0, 3), policy).ok).toBe(true);
  });

  it('renders the same Markdown for the same packages (CI compares it with the committed file)', () => {
    const packages = [
      { name: 'a', version: '1.0.0', licence: 'MIT' },
      { name: 'b', version: '1.0.0', licence: 'MIT' },
      { name: 'c|d', version: '1.0.0', licence: undefined },
    ];
    const markdown = renderLicences(packages, [{ name: 'c|d', reason: 'checked' }]);
    expect(markdown).toBe(renderLicences(packages, [{ name: 'c|d', reason: 'checked' }]));
    expect(markdown).toContain('| MIT | 2 |');
    expect(markdown).toContain('| c\\|d | 1.0.0 | (none declared) |');
    expect(markdown).toContain('| c\\|d | checked |');
  });
});

// Pure logic of scripts/audit.mjs: reading `npm audit --json`, and deciding which advisories block
// CI given the dated exceptions in security/audit-exceptions.json. No I/O here, so it is unit-tested
// (scripts/lib/policies.unit.test.ts).

/** Severities that fail CI unless excepted. */
export const BLOCKING_SEVERITIES = ['high', 'critical'];

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * True when the audit output is a report (even one with findings); false when npm could not get
 * one (registry unreachable, endpoint refused, not logged in...): npm exits non-zero either way.
 * @param {unknown} report the parsed JSON npm printed
 */
export function isAuditReport(report) {
  return typeof report === 'object' && report !== null && 'vulnerabilities' in report && 'metadata' in report;
}

/**
 * Why npm produced no report, in one line, from its JSON error output.
 * @param {unknown} output
 */
export function auditFailureReason(output) {
  if (typeof output !== 'object' || output === null) return 'npm printed no JSON';
  const o = /** @type {Record<string, any>} */ (output);
  const parts = [o.message, o.error?.summary, o.error?.detail, o.statusCode ? `HTTP ${o.statusCode}` : undefined];
  return (
    parts.filter((p) => (typeof p === 'string' && p.trim() !== '') || typeof p === 'number').join(' — ') ||
    JSON.stringify(output).slice(0, 200)
  );
}

/**
 * The advisories of an npm audit report (auditReportVersion 2), one per advisory and vulnerable
 * package. Entries of `via` that are plain strings only point at another vulnerable package, whose
 * own entry lists the advisory, so they are skipped.
 * @param {{ vulnerabilities: Record<string, { name: string; via: unknown[]; nodes?: string[]; fixAvailable?: unknown }> }} report
 * @returns {{ id: string; source: number | string; package: string; severity: string; title: string; url: string; range: string; nodes: string[]; fixAvailable: boolean }[]}
 */
export function advisoriesFrom(report) {
  const found = new Map();
  for (const entry of Object.values(report.vulnerabilities ?? {})) {
    for (const via of entry.via ?? []) {
      if (typeof via !== 'object' || via === null) continue;
      const v = /** @type {Record<string, any>} */ (via);
      const ghsa = typeof v.url === 'string' ? /GHSA-[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}/i.exec(v.url)?.[0] : undefined;
      const id = ghsa ?? String(v.source);
      const pkg = typeof v.name === 'string' ? v.name : entry.name;
      const key = `${id} ${pkg}`;
      if (found.has(key)) continue;
      found.set(key, {
        id,
        source: v.source,
        package: pkg,
        severity: String(v.severity ?? 'unknown'),
        title: String(v.title ?? ''),
        url: String(v.url ?? ''),
        range: String(v.range ?? ''),
        nodes: pkg === entry.name ? (entry.nodes ?? []) : [],
        fixAvailable: Boolean(entry.fixAvailable),
      });
    }
  }
  return [...found.values()].sort((a, b) => a.package.localeCompare(b.package) || a.id.localeCompare(b.id));
}

/**
 * Checks the exceptions file's shape. Each exception names one advisory (its GHSA id, or npm's
 * numeric source id) in one package, says why it is acceptable, and expires on a date.
 * @param {unknown} file the parsed security/audit-exceptions.json
 * @returns {{ exceptions: { id: string; package: string; reason: string; expires: string }[]; problems: string[] }}
 */
export function parseExceptions(file) {
  const problems = [];
  const list = typeof file === 'object' && file !== null ? /** @type {any} */ (file).exceptions : undefined;
  if (!Array.isArray(list))
    return { exceptions: [], problems: ['the file must be an object with an "exceptions" array'] };
  const exceptions = [];
  list.forEach((raw, index) => {
    const at = `exceptions[${index}]`;
    if (typeof raw !== 'object' || raw === null) {
      problems.push(`${at} is not an object`);
      return;
    }
    const missing = ['id', 'package', 'reason', 'expires'].filter(
      (field) => typeof raw[field] !== 'string' || raw[field].trim() === '',
    );
    if (missing.length) {
      problems.push(`${at} lacks ${missing.join(', ')}`);
      return;
    }
    if (!DATE.test(raw.expires) || Number.isNaN(Date.parse(`${raw.expires}T00:00:00Z`))) {
      problems.push(`${at} (${raw.id}) expires "${raw.expires}": use YYYY-MM-DD`);
      return;
    }
    exceptions.push({ id: raw.id, package: raw.package, reason: raw.reason, expires: raw.expires });
  });
  return { exceptions, problems };
}

/**
 * An exception is valid through its expiry day (UTC) and lapses the day after.
 * @param {{ expires: string }} exception
 * @param {string} today YYYY-MM-DD (UTC)
 */
export function isExpired(exception, today) {
  return exception.expires < today;
}

const sameId = (a, b) => String(a).toLowerCase() === String(b).toLowerCase();

/**
 * The verdict: blocking advisories (high or critical, not excepted), advisories an exception covers,
 * expired exceptions (these fail too, used or not: a lapsed exception must be renewed with a new
 * reason or removed), unused exceptions (reported, not failing) and the rest (below the threshold).
 * @param {ReturnType<typeof advisoriesFrom>} advisories
 * @param {{ id: string; package: string; reason: string; expires: string }[]} exceptions
 * @param {string} today YYYY-MM-DD (UTC)
 */
export function evaluateAudit(advisories, exceptions, today) {
  const live = exceptions.filter((exception) => !isExpired(exception, today));
  const expired = exceptions.filter((exception) => isExpired(exception, today));
  const blocking = [];
  const excepted = [];
  const below = [];
  const used = new Set();
  for (const advisory of advisories) {
    if (!BLOCKING_SEVERITIES.includes(advisory.severity)) {
      below.push(advisory);
      continue;
    }
    const cover = live.find(
      (e) => e.package === advisory.package && (sameId(e.id, advisory.id) || sameId(e.id, advisory.source)),
    );
    if (cover) {
      used.add(cover);
      excepted.push({ advisory, exception: cover });
    } else {
      blocking.push(advisory);
    }
  }
  const unused = live.filter((exception) => !used.has(exception));
  return { ok: blocking.length === 0 && expired.length === 0, blocking, excepted, expired, unused, below };
}

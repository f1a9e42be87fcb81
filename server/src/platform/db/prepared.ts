/**
 * Queries whose SQL is built once per process and then run with parameters.
 *
 * Drizzle builds a query's SQL text on every call, which was about a sixth of an uncached course
 * page's CPU time in the profiles behind docs/benchmarks.md. A prepared Drizzle query keeps the text
 * and only binds values. The statement name given to Drizzle is empty on purpose: node-postgres then
 * sends an unnamed statement, parsed again by PostgreSQL on each run, which PgBouncer passes in
 * transaction pooling; named statements it does not (Debian's PgBouncer 1.18). What is saved is
 * the Node side's work, which is where the time went.
 */
export class PreparedQueries {
  private readonly built = new Map<string, unknown>();

  /** The query under `key`, built by `build` on first use; `build` gets the statement name to use. */
  get<T>(key: string, build: (statementName: string) => T): T {
    let query = this.built.get(key) as T | undefined;
    if (query === undefined) {
      query = build(UNNAMED);
      this.built.set(key, query);
    }
    return query;
  }
}

/** node-postgres sends an unnamed statement for a falsy name (pg/lib/query.js `requiresPreparation`). */
const UNNAMED = '';

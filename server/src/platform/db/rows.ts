/**
 * Rows of a raw `db.execute()`. Both drivers (PGlite and node-postgres) answer `{ rows }`, but
 * Drizzle's shared database type cannot know which driver runs, so it types the result loosely.
 */
export function rowsOf<T>(result: unknown): T[] {
  return (result as { rows: T[] }).rows;
}

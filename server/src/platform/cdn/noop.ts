import { assertInvalidationPaths, type CdnPort } from './port.js';

/** Local and nginx-edge installs: the edge revalidates by itself, so there is nothing to tell. */
export class NoCdn implements CdnPort {
  readonly backend = 'none' as const;

  async invalidate(paths: string[]): Promise<void> {
    // Checked anyway, so a caller that builds bad paths fails in development, not first in production.
    assertInvalidationPaths(paths);
  }

  async close(): Promise<void> {}
}

/**
 * An error a service throws on purpose: the HTTP layer turns it into a 4xx with its code. It lives
 * outside http/ so services can throw it without importing anything of the web framework.
 */
export class AppError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

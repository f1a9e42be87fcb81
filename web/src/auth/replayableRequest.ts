/**
 * Adapts a (url, init) fetch, such as SessionManager.fetch, to the
 * (request) => response signature openapi-fetch calls. The body is read once
 * into a string, so a retry after a token refresh can send it again (a
 * Request's body stream can be consumed only once).
 */
export function replayableRequestFetch(
  fetch: (url: string, init: RequestInit) => Promise<Response>,
): (request: Request) => Promise<Response> {
  return async (request) => {
    const body = request.body ? await request.text() : null;
    return fetch(request.url, {
      method: request.method,
      headers: request.headers,
      body,
      signal: request.signal,
      credentials: 'include',
    });
  };
}

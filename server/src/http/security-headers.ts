import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyReply } from 'fastify';
import helmet, { type HelmetOptions } from 'helmet';

/** Helmet's headers for one set of options, as a reply sets them. */
export interface SecurityHeaders {
  fields: Record<string, string | number | readonly string[]>;
  removed: string[];
}

/**
 * Helmet's headers (CSP, HSTS, frame and referrer policies, …), worked out once at start-up.
 * @fastify/helmet builds a new helmet middleware for every request, re-parsing the whole CSP each
 * time: about a twelfth of the CPU of a bare `GET /health/live` (docs/benchmarks/http-overhead.md).
 * The headers depend on the options alone (no nonces), so the result is the same for every request
 * and computing it once changes nothing on the wire.
 */
export function securityHeaders(options: HelmetOptions): SecurityHeaders {
  const fields: SecurityHeaders['fields'] = {};
  const removed: string[] = [];
  // Helmet only calls setHeader and removeHeader on the response; record what it would do.
  const recorder = {
    setHeader(name: string, value: string | number | readonly string[]) {
      fields[name.toLowerCase()] = value;
    },
    removeHeader(name: string) {
      removed.push(name);
    },
  };
  helmet(options)({} as IncomingMessage, recorder as unknown as ServerResponse, (error?: unknown) => {
    if (error) throw error instanceof Error ? error : new Error(String(error));
  });
  return { fields, removed };
}

/** The two policies: one for what a browser renders (pages, assets), one for the JSON API. */
export interface LectioSecurityHeaders {
  document: SecurityHeaders;
  api: SecurityHeaders;
}

/**
 * Lectio's own policy: the page may load only what it ships, plus signed media from the edge when
 * that is on another origin; HSTS and upgrade-insecure-requests only when served over https.
 *
 * Answers under `/api/` get a shorter set (OWASP's REST Security Cheat Sheet, "Security headers"):
 * they are JSON (or a download), never a document a browser renders, so a page's policy has
 * nothing to govern there. They keep what still matters for them: nosniff, no framing, no
 * referrer, same-origin resource policy, HSTS; and the strictest content policy,
 * `default-src 'none'`, in case one is ever opened as a page. Left out are the headers only a
 * document uses (opener and origin-agent-cluster isolation, DNS prefetching, the old IE and
 * Flash switches, the XSS auditor's): six header lines fewer, and a content policy of 43 bytes
 * instead of about 400. Node checks every header line of every answer; on a cached page of the
 * course list this gave 1.1–1.2× the requests per second (docs/benchmarks.md, "Sixth round").
 */
export function lectioSecurityHeaders(origins: { publicUrl: string; mediaBaseUrl: string }): LectioSecurityHeaders {
  const isHttps = origins.publicUrl.startsWith('https:');
  const strictTransportSecurity = isHttps ? { maxAge: 31_536_000, includeSubDomains: true } : false;
  // Same answer as frame-ancestors 'none' for browsers that only know X-Frame-Options.
  const xFrameOptions = { action: 'deny' } as const;
  // Signed media may come from an edge (nginx, CloudFront) on another origin: the player fetches
  // playlists and segments (connect), plays them (media) and shows posters and storyboards (img).
  // Named even when it is PUBLIC_URL's own origin: media URLs are absolute, and a page opened under
  // another name for the same server ('self' is then http://localhost:3000 while PUBLIC_URL says
  // http://127.0.0.1:3000) would otherwise have every cover and poster blocked.
  const mediaSources = [new URL(origins.mediaBaseUrl).origin];
  const document = securityHeaders({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        // The hash is that of the empty string: media-chrome's shadow roots keep empty <style>
        // elements whose CSS the player moves into constructable sheets (web/src/videos/player/shadow-styles.ts).
        styleSrc: ["'self'", "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='"],
        imgSrc: ["'self'", 'data:', 'blob:', ...mediaSources],
        fontSrc: ["'self'"],
        connectSrc: ["'self'", ...mediaSources],
        mediaSrc: ["'self'", 'blob:', ...mediaSources],
        workerSrc: ["'self'", 'blob:'],
        objectSrc: ["'none'"],
        frameAncestors: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        // On plain-http local runs this would send the browser to https and break every asset.
        ...(isHttps ? { upgradeInsecureRequests: [] } : {}),
      },
    },
    strictTransportSecurity,
    crossOriginEmbedderPolicy: false,
    xFrameOptions,
  });
  const api = securityHeaders({
    contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
    strictTransportSecurity,
    xFrameOptions,
    crossOriginEmbedderPolicy: false,
    crossOriginOpenerPolicy: false,
    originAgentCluster: false,
    xDnsPrefetchControl: false,
    xDownloadOptions: false,
    xPermittedCrossDomainPolicies: false,
    xXssProtection: false,
  });
  return { document, api };
}

/** The API's policy for a path under `/api/`, the document policy for anything else. */
export function securityHeadersFor(url: string, headers: LectioSecurityHeaders): SecurityHeaders {
  return url.startsWith('/api/') ? headers.api : headers.document;
}

/**
 * Puts the headers on a reply. They go into the headers Fastify collects and hands to one
 * `writeHead`, which checks each header once. Set on the raw response instead, each one was checked
 * when set and again when Fastify merged its own headers in (which then all went through
 * setHeader too). Warm course list, B A A B: 1.1-1.2x the requests per second, 0.85x the CPU per
 * request. Nothing in the app writes to the raw response, so every answer still carries them.
 */
export function applySecurityHeaders(reply: FastifyReply, headers: SecurityHeaders): void {
  for (const name in headers.fields) reply.header(name, headers.fields[name]);
  for (const name of headers.removed) reply.raw.removeHeader(name);
}

/**
 * On every routed request. Answers Fastify gives before routing (a URL it cannot decode) apply
 * them in the framework error handler (app.ts). Routes that serve something else (a PDF, a stored
 * file) set their own headers over these.
 */
export function registerSecurityHeaders(app: FastifyInstance, headers: LectioSecurityHeaders): void {
  app.addHook('onRequest', (request, reply, done) => {
    applySecurityHeaders(reply, securityHeadersFor(request.url, headers));
    done();
  });
}

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

/**
 * Lectio's own policy: the page may load only what it ships, plus signed media from the edge when
 * that is on another origin; HSTS and upgrade-insecure-requests only when served over https.
 */
export function lectioSecurityHeaders(origins: { publicUrl: string; mediaBaseUrl: string }): SecurityHeaders {
  const isHttps = origins.publicUrl.startsWith('https:');
  // Signed media may come from an edge (nginx, CloudFront) on another origin: the player fetches
  // playlists and segments (connect), plays them (media) and shows posters and storyboards (img).
  const mediaOrigin = new URL(origins.mediaBaseUrl).origin;
  const mediaSources = mediaOrigin === new URL(origins.publicUrl).origin ? [] : [mediaOrigin];
  return securityHeaders({
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
    strictTransportSecurity: isHttps ? { maxAge: 31_536_000, includeSubDomains: true } : false,
    crossOriginEmbedderPolicy: false,
    // Same answer as frame-ancestors 'none' for browsers that only know X-Frame-Options.
    xFrameOptions: { action: 'deny' },
  });
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
 * them in the framework error handler (app.ts).
 */
export function registerSecurityHeaders(app: FastifyInstance, headers: SecurityHeaders): void {
  app.addHook('onRequest', (_request, reply, done) => {
    applySecurityHeaders(reply, headers);
    done();
  });
}

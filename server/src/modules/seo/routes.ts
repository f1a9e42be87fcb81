import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { injectHead, type PageHead } from './head.js';
import type { SeoService } from './service.js';

/**
 * Course and instructor pages answered with the app shell plus their link-preview tags, so
 * crawlers and chat apps that never run JavaScript see them. Registered before the SPA fallback,
 * which answers every other page.
 */
export function seoRoutes(seo: SeoService, options: { webRoot: string }): FastifyPluginAsyncZod {
  const shellPath = path.join(options.webRoot, 'index.html');

  async function sendPage(reply: FastifyReply, head: PageHead | undefined) {
    let shell: string;
    try {
      // Read per request: a few KB the OS keeps cached, and a rebuilt web app is served at once.
      shell = await readFile(shellPath, 'utf8');
    } catch {
      // No built web app (API-only deployment): behave as if this module did not exist.
      return reply.callNotFound();
    }
    return reply
      .header('content-type', 'text/html; charset=utf-8')
      .header('cache-control', 'no-cache')
      .send(head ? injectHead(shell, head) : shell);
  }

  return async (app) => {
    app.get(
      '/courses/:slug',
      { schema: { hide: true, params: z.object({ slug: z.string() }) } },
      async (request, reply) => sendPage(reply, await seo.coursePage(request.params.slug)),
    );
    app.get(
      '/instructors/:id',
      { schema: { hide: true, params: z.object({ id: z.string() }) } },
      async (request, reply) => sendPage(reply, await seo.instructorPage(request.params.id)),
    );
    app.get('/sitemap.xml', { schema: { hide: true } }, async (_request, reply) =>
      reply
        .header('content-type', 'application/xml; charset=utf-8')
        .header('cache-control', 'public, max-age=600')
        .send(await seo.sitemap()),
    );
    app.get('/robots.txt', { schema: { hide: true } }, async (_request, reply) =>
      reply
        .header('content-type', 'text/plain; charset=utf-8')
        .header('cache-control', 'public, max-age=600')
        .send(seo.robots()),
    );
  };
}

import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { errorResponseSchema } from '../../http/errors.js';
import { searchQuerySchema, searchResultSchema, suggestQuerySchema, suggestResultSchema } from './schemas.js';
import type { SearchService } from './service.js';

/** Course search: public, only published courses are ever returned. */
export function searchRoutes(search: SearchService): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      '/api/v1/search',
      {
        schema: {
          tags: ['search'],
          summary:
            'Search published courses (Korean and English, typo tolerant) with filters, sort and facets (anyone)',
          querystring: searchQuerySchema,
          response: { 200: searchResultSchema, 400: errorResponseSchema },
        },
      },
      async (request) => search.search(request.query),
    );

    app.get(
      '/api/v1/search/suggest',
      {
        schema: {
          tags: ['search'],
          summary: 'Autocomplete: up to 8 published course titles for what is being typed (anyone)',
          querystring: suggestQuerySchema,
          response: { 200: suggestResultSchema },
        },
      },
      async (request) => search.suggest(request.query.q),
    );
  };
}

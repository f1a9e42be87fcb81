import { z } from 'zod';
import { courseCardSchema, currencySchema, languageSchema, levelSchema } from '../catalog/schemas.js';

/** Request and response shapes of `/search` and `/search/suggest` (docs/design/catalog-api.md "Search"). */

// The card is the catalog's, so a search result and a catalog listing render the same way.
const courseLevelSchema = levelSchema;
const courseLanguageSchema = languageSchema;
export const searchSortSchema = z.enum(['relevance', 'popular', 'rating', 'newest', 'price_asc', 'price_desc']);

/** `free=true` / `free=false` in a query string; anything else is a validation error. */
const booleanQuery = z.enum(['true', 'false']).transform((v) => v === 'true');

export const searchQuerySchema = z.object({
  q: z.string().trim().max(200).default(''),
  category: z.string().trim().min(1).max(100).optional(),
  level: courseLevelSchema.optional(),
  language: courseLanguageSchema.optional(),
  // Bounded as prices are (catalog's priceSchema): past int4 the database refused the comparison (a 500).
  priceMin: z.coerce.number().int().min(0).max(1_000_000_000).optional(),
  priceMax: z.coerce.number().int().min(0).max(1_000_000_000).optional(),
  currency: currencySchema.optional(),
  minRating: z.coerce.number().min(0).max(5).optional(),
  free: booleanQuery.optional(),
  sort: searchSortSchema.default('relevance'),
  page: z.coerce.number().int().min(1).max(10_000).default(1),
  pageSize: z.coerce.number().int().min(1).max(50).default(20),
});
export type SearchQuery = z.infer<typeof searchQuerySchema>;

export const searchFacetsSchema = z
  .object({
    category: z.array(z.object({ slug: z.string(), count: z.number().int() })),
    level: z.array(z.object({ value: courseLevelSchema, count: z.number().int() })),
    language: z.array(z.object({ value: courseLanguageSchema, count: z.number().int() })),
    price: z.object({ free: z.number().int(), paid: z.number().int() }),
    rating: z.array(
      z.object({ min: z.union([z.literal(4), z.literal(3), z.literal(2), z.literal(1)]), count: z.number().int() }),
    ),
  })
  .meta({ id: 'SearchFacets' });

export const searchResultSchema = z
  .object({
    items: z.array(courseCardSchema),
    total: z.number().int(),
    totalIsLowerBound: z
      .boolean()
      .describe(
        'True when the query matches more courses than are counted exactly (10,000): `total` and the facet counts are then lower bounds ("10,000+"); the items and their order are still exact.',
      ),
    page: z.number().int(),
    pageSize: z.number().int(),
    facets: searchFacetsSchema,
  })
  .meta({ id: 'SearchResult' });
export type SearchResult = z.infer<typeof searchResultSchema>;

export const suggestQuerySchema = z.object({ q: z.string().trim().max(100).default('') });

export const suggestResultSchema = z
  .object({ items: z.array(z.object({ slug: z.string(), title: z.string() })).max(8) })
  .meta({ id: 'SearchSuggestions' });
export type SuggestResult = z.infer<typeof suggestResultSchema>;

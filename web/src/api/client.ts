import createClient from 'openapi-fetch';
import type { paths } from './schema';

// Same origin in every environment: production serves the app from the API
// server, and the Vite dev server proxies the API paths to it.
export const api = createClient<paths>({ baseUrl: '' });

export type { paths };

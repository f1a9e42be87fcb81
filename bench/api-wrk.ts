/**
 * The API bench loaded by Debian's wrk (`npm run bench -- api --client wrk`), the client the issue
 * measured its Django figures with. Its result, docs/benchmarks/api-wrk.json, renders as api.json
 * does, under its own heading, beside the autocannon run's section.
 */
import { renderApiSection, type ApiBenchResult } from './api/index.js';

export function renderApiWrkSection(r: ApiBenchResult): string {
  return renderApiSection(r).replace(/^## API hot paths/, '## API hot paths, loaded by wrk');
}

#!/usr/bin/env node
// Generates the typed API surface (web/src/api/schema.d.ts) from the server's
// OpenAPI document, or with --check verifies the committed file is current.
//
//   node web/scripts/gen-api.mjs [--check] --from <url-or-file>
//
// The output is run through prettier with the repository's config so that
// `prettier --check` and `--check` here agree on a single canonical form.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import openapiTS, { astToString, COMMENT_HEADER } from 'openapi-typescript';
import * as prettier from 'prettier';

const SCHEMA_PATH = fileURLToPath(new URL('../src/api/schema.d.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SCHEMA_DISPLAY_PATH = path.relative(REPO_ROOT, SCHEMA_PATH).split(path.sep).join('/');
const FETCH_TIMEOUT_MS = 15_000;
const USAGE = 'usage: node web/scripts/gen-api.mjs [--check] --from <url-or-file>';

class UsageError extends Error {}

function parseCliArgs(argv) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        check: { type: 'boolean', default: false },
        from: { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (cause) {
    throw new UsageError(cause instanceof Error ? cause.message : String(cause));
  }
  const { check, from } = parsed.values;
  if (!from) throw new UsageError('--from is required');
  return { check, from };
}

// undici reports "fetch failed" and hides the useful part (ECONNREFUSED, ...) in `cause`.
function describeFetchFailure(error) {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause;
  if (cause instanceof Error) return `${error.message} (${'code' in cause ? cause.code : cause.message})`;
  return error.message;
}

async function loadOpenApiDocument(source) {
  const isUrl = /^https?:\/\//i.test(source);
  let text;
  if (isUrl) {
    let response;
    try {
      response = await fetch(source, {
        headers: { accept: 'application/json' },
        signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
      });
    } catch (cause) {
      throw new Error(`could not fetch ${source}: ${describeFetchFailure(cause)}`);
    }
    if (!response.ok) throw new Error(`could not fetch ${source}: HTTP ${response.status}`);
    text = await response.text();
  } else {
    text = await readFile(path.resolve(source), 'utf8');
  }
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new Error(`${source} is not valid JSON: ${cause instanceof Error ? cause.message : cause}`);
  }
}

async function renderSchema(document) {
  const ast = await openapiTS(document, { silent: true });
  const source = COMMENT_HEADER + astToString(ast);
  const config = (await prettier.resolveConfig(SCHEMA_PATH, { editorconfig: true })) ?? {};
  return prettier.format(source, { ...config, filepath: SCHEMA_PATH });
}

async function readCommittedSchema() {
  try {
    return await readFile(SCHEMA_PATH, 'utf8');
  } catch (cause) {
    if (cause instanceof Error && 'code' in cause && cause.code === 'ENOENT') return undefined;
    throw cause;
  }
}

async function main() {
  const { check, from } = parseCliArgs(process.argv.slice(2));
  const generated = await renderSchema(await loadOpenApiDocument(from));

  if (check) {
    if ((await readCommittedSchema()) !== generated) {
      console.error(`${SCHEMA_DISPLAY_PATH} is out of date: run npm run api:gen`);
      process.exitCode = 1;
    }
    return;
  }

  await writeFile(SCHEMA_PATH, generated);
  console.log(`wrote ${SCHEMA_DISPLAY_PATH}`);
}

main().catch((error) => {
  if (error instanceof UsageError) {
    console.error(`${error.message}\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  console.error(`gen-api: ${error instanceof Error ? error.message : error}`);
  process.exitCode = 1;
});

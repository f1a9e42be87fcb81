#!/usr/bin/env node
// The CLI runs from compiled output so start-up does not pay for a TypeScript loader.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/main/cli.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  console.error('lectio: the server is not built yet. Run: npm run build');
  process.exit(1);
}
await import(entry.href);

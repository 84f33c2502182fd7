#!/usr/bin/env node
/**
 * Writes schemas/openapi.json: the document the admin API serves at /openapi.json, generated from
 * the route schemas (run through `npm run openapi`, which builds first). A test fails when the
 * committed file and the served document differ.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const { openApiDocument } = await import('../dist/api/openapi-document.js');
const file = fileURLToPath(new URL('../schemas/openapi.json', import.meta.url));
writeFileSync(file, `${JSON.stringify(await openApiDocument(), null, 2)}\n`);
// In the repository's format, so `npm run lint` passes on the committed file.
execFileSync(
  fileURLToPath(new URL('../node_modules/.bin/biome', import.meta.url)),
  ['format', '--write', file],
  {
    stdio: 'ignore',
  },
);
process.stdout.write(`wrote ${file}\n`);

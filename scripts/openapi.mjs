#!/usr/bin/env node
/**
 * Writes schemas/openapi.json: the document the admin API serves at /openapi.json, generated from
 * the route schemas (run through `npm run openapi`, which builds first). A test fails when the
 * committed file and the served document differ.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const { openApiDocument } = await import('../dist/api/openapi-document.js');
const file = fileURLToPath(new URL('../schemas/openapi.json', import.meta.url));
writeFileSync(file, `${JSON.stringify(await openApiDocument(), null, 2)}\n`);
process.stdout.write(`wrote ${file}\n`);

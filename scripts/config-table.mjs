// Prints the README's configuration table from the one list the config loader uses.
// Usage: npm run build && node scripts/config-table.mjs
import { VARIABLES } from '../dist/config/config.js';

const esc = (s) => s.replace(/\|/g, '\\|');
console.log('| variable | default | |');
console.log('|---|---|---|');
for (const v of VARIABLES) {
  const def = v.required ? '**required**' : v.default !== undefined ? `\`${v.default}\`` : '—';
  console.log(`| \`${v.name}\` | ${def} | ${esc(v.description)}${v.secret ? ' *(secret)*' : ''} |`);
}

/**
 * The import graph of one ES module file: every file it reaches through relative imports, and
 * every bare specifier (package or builtin) on the way.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

const IMPORT_RE =
  /(?:^|[;\s])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s*['"]([^'"]+)['"]/gm;

/** `.js` imports of TypeScript sources resolve to the `.ts` file next to them. */
function resolveFile(from: string, spec: string): string {
  const path = resolve(dirname(from), spec);
  if (existsSync(path)) return path;
  const ts = path.replace(/\.js$/, '.ts');
  if (existsSync(ts)) return ts;
  throw new Error(`${from}: cannot resolve ${spec}`);
}

export function importGraph(entry: string): { files: string[]; bare: string[] } {
  const files = new Set<string>();
  const bare = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    // Comments (JSDoc examples) hold import lines too; only code counts.
    const code = readFileSync(file, 'utf8')
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .replace(/^\s*\/\/.*$/gm, '');
    for (const m of code.matchAll(IMPORT_RE)) {
      const spec = (m[1] ?? m[2] ?? m[3])!;
      if (spec.startsWith('.')) visit(resolveFile(file, spec));
      else bare.add(spec);
    }
  };
  visit(entry);
  return { files: [...files], bare: [...bare] };
}

/**
 * Summarises a V8 .cpuprofile (from `node --cpu-prof`): self time by function and by package.
 *   node bench/lib/profile-summary.mjs file.cpuprofile [top]
 */
import { readFileSync } from 'node:fs';

const [file, topArg] = process.argv.slice(2);
const top = Number(topArg ?? 25);
const prof = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const self = new Map();
const dt = prof.timeDeltas;
for (let i = 0; i < prof.samples.length; i++) {
  const id = prof.samples[i];
  self.set(id, (self.get(id) ?? 0) + (dt[i] ?? 0));
}
const total = [...self.values()].reduce((a, b) => a + b, 0);
const fn = new Map();
const pkg = new Map();
for (const [id, us] of self) {
  const { callFrame: cf } = byId.get(id);
  const key = `${cf.functionName || '(anonymous)'} ${cf.url.replace(/^.*node_modules\//, '~/').replace(/^file:\/\/\/work\/main\//, '')}:${cf.lineNumber + 1}`;
  fn.set(key, (fn.get(key) ?? 0) + us);
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(cf.url);
  const p = m
    ? m[1]
    : cf.url.startsWith('node:')
      ? `node:${cf.url.slice(5).split('/')[0]}`
      : cf.url.includes('/dist/')
        ? 'hookstream'
        : cf.url || cf.functionName;
  pkg.set(p, (pkg.get(p) ?? 0) + us);
}
const show = (m, n) =>
  [...m]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, v]) => `${((v / total) * 100).toFixed(1).padStart(5)} %  ${k}`)
    .join('\n');
console.log(
  `total sampled ${(total / 1e6).toFixed(2)} s\n\nby package:\n${show(pkg, 15)}\n\nby function (self):\n${show(fn, top)}`,
);

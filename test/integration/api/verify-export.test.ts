/**
 * The built `hookstream/verify` export (needs `npm run build`): resolved through package.json
 * "exports", its import graph has no kafkajs, mongodb or fastify, and the Node snippet of
 * docs/receivers.md verifies hookstream's signatures through it.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CASES } from '../../unit/security/signature-cases.js';
import { importGraph } from '../../unit/security/verify-graph.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));

describe('hookstream/verify (built)', () => {
  it('resolves through package.json exports to a file that reaches only node: builtins', () => {
    const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8'));
    expect(pkg.exports['./verify'].default).toBe('./dist/verify.js');
    const built = createRequire(`${root}package.json`).resolve('hookstream/verify');
    expect(built).toBe(`${root}dist/verify.js`);
    const { files, bare } = importGraph(built);
    expect(bare.filter((s) => !s.startsWith('node:'))).toEqual([]);
    expect(files.some((f) => /kafka|mongo|fastify|api\//.test(f))).toBe(false);
  });

  it('runs the Node receiver snippet against signatures made by the signer', () => {
    const input = JSON.stringify(
      CASES.map(({ header, body, secrets, now }) => ({ header, body, secrets, now })),
    );
    const got = JSON.parse(
      execFileSync(process.execPath, [`${root}docs/receivers/node/verify.mjs`, '--cases'], {
        input,
        encoding: 'utf8',
      }),
    );
    expect(CASES.map((c, i) => `${c.name}: ${got[i]}`)).toEqual(CASES.map((c) => `${c.name}: ${c.verdict}`));
  });
});

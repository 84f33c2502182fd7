/**
 * The receiver snippets of docs/receivers.md (Python and Go, standard library only) against
 * signatures made by hookstream's own signer: one secret, a rotation with two v1, a stale
 * timestamp, a tampered body, a wrong secret, a malformed header.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CASES } from './signature-cases.js';

const snippet = (path: string) => fileURLToPath(new URL(`../../../docs/receivers/${path}`, import.meta.url));

function verdicts(command: string, args: string[]): string[] {
  const input = JSON.stringify(
    CASES.map(({ header, body, secrets, now }) => ({ header, body, secrets, now })),
  );
  return JSON.parse(execFileSync(command, args, { input, encoding: 'utf8', timeout: 120_000 }));
}

describe('receiver snippets verify hookstream signatures', () => {
  const expected = CASES.map((c) => `${c.name}: ${c.verdict}`);

  it('Python (standard library only)', () => {
    const got = verdicts('python3', ['-I', snippet('python/verify.py')]);
    expect(CASES.map((c, i) => `${c.name}: ${got[i]}`)).toEqual(expected);
  });

  it('Go (standard library only)', () => {
    const got = verdicts('go', ['run', snippet('go/verify.go')]);
    expect(CASES.map((c, i) => `${c.name}: ${got[i]}`)).toEqual(expected);
  }, 120_000);
});

describe('docs/receivers.md', () => {
  const doc = readFileSync(new URL('../../../docs/receivers.md', import.meta.url), 'utf8');
  it.each([
    ['js', 'node/verify.mjs'],
    ['python', 'python/verify.py'],
    ['go', 'go/verify.go'],
  ])('shows the tested %s code of docs/receivers/%s', (lang, file) => {
    const block = new RegExp(`\`\`\`${lang}\\n([\\s\\S]*?)\\n\`\`\``).exec(doc)?.[1];
    expect(block?.length).toBeGreaterThan(300);
    expect(readFileSync(snippet(file), 'utf8')).toContain(block);
  });
});

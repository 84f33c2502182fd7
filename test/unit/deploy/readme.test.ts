import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { VARIABLES } from '../../../src/config/config.js';

const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');

describe('README', () => {
  it('opens with the two commands that matter on a fresh machine', () => {
    const firstBlock = /```bash\n([\s\S]*?)```/.exec(readme)![1]!;
    const commands = firstBlock.split('\n').filter((l) => l.trim() !== '');
    expect(commands).toHaveLength(2);
    expect(commands[0]).toMatch(/^bash scripts\/dev\.sh demo\b/);
    expect(commands[1]).toMatch(/^bash scripts\/dev\.sh test\b/);
  });

  it('documents every configuration variable with its default, as the code has it', () => {
    for (const v of VARIABLES) {
      const row = readme.split('\n').find((l) => l.startsWith(`| \`${v.name}\` |`));
      expect(row, v.name).toBeDefined();
      if ('default' in v) expect(row).toContain(`\`${v.default}\``);
      if ('required' in v) expect(row).toContain('**required**');
    }
  });
});

/** `hookstream/verify` is zero-dependency: its source reaches only node: builtins. */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as verifyModule from '../../../src/verify.js';
import { importGraph } from './verify-graph.js';

describe('hookstream/verify (source)', () => {
  it('imports nothing but node: builtins and its own files', () => {
    const { files, bare } = importGraph(fileURLToPath(new URL('../../../src/verify.ts', import.meta.url)));
    expect(bare.every((s) => s.startsWith('node:'))).toBe(true);
    expect(bare).toContain('node:crypto');
    expect(files.map((f) => f.replace(/^.*\/src\//, 'src/')).sort()).toEqual([
      'src/core/errors.ts',
      'src/core/signing.ts',
      'src/verify.ts',
    ]);
  });

  it('exports what a receiver needs', () => {
    expect(Object.keys(verifyModule).sort()).toEqual([
      'DEFAULT_TOLERANCE_SEC',
      'HookstreamError',
      'isHookstreamError',
      'verify',
      'verifyStandardWebhook',
    ]);
  });
});

/**
 * The built CLI as a user runs it (`node bin/hookstream.js`, needs `npm run build`): --help and
 * --version, and an unreachable broker ending `lag` with one stderr line and exit 1 within the
 * default 10 s timeout, stdout left clean.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../../../bin/hookstream.js', import.meta.url));

function run(args: string[], env: Record<string, string>) {
  return new Promise<{ code: number | null; out: string; err: string; ms: number }>((resolve) => {
    const started = Date.now();
    const child = spawn(process.execPath, [bin, ...args], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c));
    child.stderr.on('data', (c: Buffer) => (err += c));
    child.on('close', (code) => resolve({ code, out, err, ms: Date.now() - started }));
  });
}

describe('bin/hookstream.js', () => {
  it('answers --version and --help with exit 0', async () => {
    const version = await run(['--version'], {});
    expect(version.code).toBe(0);
    expect(version.out).toMatch(/^\d+\.\d+\.\d+\n$/);
    const help = await run(['webhooks', 'replay', '--help'], {});
    expect(help.code).toBe(0);
    expect(help.out).toContain('Usage: hookstream webhooks replay');
  });

  it('KAFKA_BROKERS=127.0.0.1:1 hookstream lag exits 1 within 15 s with one stderr line', async () => {
    const res = await run(['lag', '--json'], {
      KAFKA_BROKERS: '127.0.0.1:1',
      MONGODB_URI: 'mongodb://127.0.0.1:1/unused',
    });
    expect(res.code).toBe(1);
    expect(res.out).toBe('');
    expect(res.err).toBe('hookstream lag: Kafka (127.0.0.1:1) did not answer within 10 s (--timeout)\n');
    expect(res.ms).toBeLessThan(15_000);
  }, 30_000);

  it('gives up on an unreachable MongoDB within --timeout', async () => {
    const res = await run(['webhooks', 'list', '--env', 'prod', '--timeout', '2'], {
      KAFKA_BROKERS: '127.0.0.1:9092',
      MONGODB_URI: 'mongodb://127.0.0.1:1/unused',
    });
    expect(res.code).toBe(1);
    expect(res.out).toBe('');
    expect(res.err).toBe('hookstream webhooks list: MongoDB did not answer within 2 s (--timeout)\n');
  }, 30_000);
});

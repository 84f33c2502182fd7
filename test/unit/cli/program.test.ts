/**
 * The command line without services: every command answers --help (exit 0) from the one
 * definition, usage errors exit 2 with the reason on stderr, and nothing but output reaches stdout.
 */
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { formatSeconds } from '../../../src/cli/lag.js';
import { buildProgram } from '../../../src/cli/program.js';
import { main } from '../../../src/main.js';

const env = { KAFKA_BROKERS: '127.0.0.1:9092', MONGODB_URI: 'mongodb://127.0.0.1:27017/unit' };

async function hs(...args: string[]) {
  let out = '';
  let err = '';
  const code = await main(args, {
    env,
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s) },
  });
  return { code, out, err };
}

/** Every command path of the program: ['webhooks', 'create'], ['lag'], … */
function commandPaths(cmd: Command, prefix: string[] = []): string[][] {
  return cmd.commands
    .filter((c) => c.name() !== 'help')
    .flatMap((c) => [[...prefix, c.name()], ...commandPaths(c, [...prefix, c.name()])]);
}

const paths = commandPaths(buildProgram({}, '0.0.0', () => {}));

describe('hookstream --help', () => {
  it('covers every role, operation and admin verb', () => {
    expect(paths.map((p) => p.join(' '))).toEqual(
      expect.arrayContaining([
        'all',
        'api',
        'router',
        'sender',
        'topics create',
        'lag',
        'events publish',
        'events deliveries',
        'events erase',
        'receiver',
        'webhooks create',
        'webhooks list',
        'webhooks get',
        'webhooks enable',
        'webhooks disable',
        'webhooks delete',
        'webhooks rotate',
        'webhooks test',
        'webhooks deliveries',
        'webhooks retry',
        'webhooks replay',
        'api-keys create',
        'api-keys list',
        'api-keys revoke',
        'api-keys generate-admin',
      ]),
    );
  });

  it.each(paths.map((p) => [p.join(' ')]))(
    'hookstream %s --help exits 0 with usage on stdout',
    async (path) => {
      const res = await hs(...path.split(' '), '--help');
      expect(res).toMatchObject({ code: 0, err: '' });
      expect(res.out).toContain(`Usage: hookstream ${path}`);
    },
  );

  it('answers --help, -h, help and --version at the top', async () => {
    for (const args of [['--help'], ['-h'], ['help']]) {
      const res = await hs(...args);
      expect(res.code).toBe(0);
      expect(res.out).toMatch(/^Usage: hookstream/);
      expect(res.out).toContain('webhooks');
    }
    const version = await hs('--version');
    expect(version).toMatchObject({ code: 0, err: '' });
    expect(version.out).toMatch(/^\d+\.\d+\.\d+\n$/);
    expect((await hs()).code).toBe(2);
  });
});

describe('usage errors exit 2 with the reason on stderr, nothing on stdout', () => {
  it.each([
    [['sender', '--tier', '7m'], "option '--tier <tier>' must be deliveries, all, or one of 1m, 10m, 1h, 6h"],
    [['receiver', '--secret', 's', '--fail-first', 'abc'], "'--fail-first <n>' argument 'abc' is invalid"],
    [['receiver', '--fail-first', '1'], "required option '--secret <secret>' not specified"],
    [['lag', '--timeout', '0'], "'--timeout <seconds>' argument '0' is invalid"],
    [['webhooks', 'deliveries', '--env', 'e', '--id', 'w', '--status', 'odd'], 'Allowed choices are pending'],
    [['webhooks', 'replay', '--env', 'e', '--id', 'w', '--since', 'yesterday'], 'RFC 3339'],
    [
      ['events', 'publish', '--env', 'e', '--type', 't', '--count', '0'],
      "'--count <n>' argument '0' is invalid",
    ],
    [['nope'], "unknown command 'nope'"],
    [['lag', '--jsn'], "unknown option '--jsn'"],
  ])('hookstream %j', async (args, reason) => {
    const res = await hs(...args);
    expect(res.code).toBe(2);
    expect(res.out).toBe('');
    expect(res.err).toContain(reason);
  });

  it('counts a bad configuration as a usage error', async () => {
    let err = '';
    const code = await main(['lag'], {
      env: { KAFKA_BROKERS: 'nonsense' },
      stderr: { write: (s: string) => (err += s) },
    });
    expect(code).toBe(2);
    expect(err).toBe('hookstream lag: KAFKA_BROKERS: "nonsense" is not host:port\n');
  });
});

describe('api-keys generate-admin', () => {
  it('prints a fresh 256-bit key that the configuration accepts', async () => {
    const a = await hs('api-keys', 'generate-admin');
    const b = await hs('api-keys', 'generate-admin');
    expect(a.code).toBe(0);
    expect(a.out).toMatch(/^[A-Za-z0-9_-]{43}\n$/);
    expect(a.out).not.toBe(b.out);
  });
});

describe('formatSeconds (lag table)', () => {
  it.each([
    [0, '0s'],
    [12.34, '12.3s'],
    [59.96, '1m0s'],
    [119.6, '2m0s'],
    [61.4, '1m1s'],
    [3599.6, '1h0m'],
    [7170, '2h0m'],
    [5400, '1h30m'],
  ])('%d s → %s', (s, text) => expect(formatSeconds(s)).toBe(text));
});

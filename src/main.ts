/** argv → command, through the one command definition in cli/program.ts. */
import { readFileSync } from 'node:fs';
import { CommanderError } from 'commander';
import type { CliIo } from './cli/io.js';
import { buildProgram, USAGE_EXIT } from './cli/program.js';
import { isHookstreamError } from './core/errors.js';

/** Errors that mean "the command line or the configuration is wrong": exit 2, like a usage error. */
const USAGE_CODES: ReadonlySet<string> = new Set(['INVALID_CONFIG', 'VALIDATION_FAILED', 'TARGET_FORBIDDEN']);

function packageVersion(): string {
  return (
    JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
  ).version;
}

/**
 * Runs one command and answers its exit code: 0 done (also --help, --version), 1 failed,
 * 2 usage or configuration error. Errors are one line on stderr.
 */
export async function main(argv: string[], io: CliIo = {}): Promise<number> {
  let code = 0;
  const program = buildProgram(io, packageVersion(), (c) => {
    code = c;
  });
  const stderr = io.stderr ?? process.stderr;
  let name = '';
  program.hook('preAction', (_root, action) => {
    for (let c: typeof action | null = action; c !== null && c !== program; c = c.parent) {
      name = name === '' ? c.name() : `${c.name()} ${name}`;
    }
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : USAGE_EXIT;
    if (isHookstreamError(err)) {
      const name = argv
        .filter((a) => !a.startsWith('-'))
        .slice(0, 2)
        .join(' ');
      stderr.write(`hookstream ${name}: ${err.message.split('\n')[0]}\n`);
      return USAGE_CODES.has(err.code) ? USAGE_EXIT : 1;
    }
    throw err;
  }
}

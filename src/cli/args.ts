/**
 * Option parsers for the command definitions (src/cli/program.ts). A bad value is a usage error:
 * commander reports it naming the option, and the command exits 2.
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { InvalidArgumentError } from 'commander';
import { parseDuration } from '../core/duration.js';
import { HookstreamError } from '../core/errors.js';

/**
 * node:util parseArgs with errors that name the flag (for `src/roles/sender.ts`, which takes its
 * `--tier` as arguments; the CLI itself parses with commander).
 */
export function parse<O extends NonNullable<ParseArgsConfig['options']>>(
  args: string[],
  options: O,
  usage: string,
): ReturnType<typeof parseArgs<{ args: string[]; options: O; allowPositionals: true; strict: true }>> {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new HookstreamError('VALIDATION_FAILED', `${(err as Error).message}\nusage: ${usage}`);
  }
}

/** A whole number in [min, max]. */
export function integer(min: number, max: number) {
  return (value: string): number => {
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
      throw new InvalidArgumentError(`must be a whole number from ${min} to ${max}, got "${value}"`);
    }
    return Number(value);
  };
}

export const positiveInt = integer(1, Number.MAX_SAFE_INTEGER);
export const nonNegativeInt = integer(0, Number.MAX_SAFE_INTEGER);
export const port = integer(0, 65_535);

/** Seconds, possibly fractional, more than 0 and at most one hour (the `--timeout`). */
export function seconds(value: string): number {
  const n = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || n <= 0 || n > 3600) {
    throw new InvalidArgumentError(`must be a number of seconds from 0.001 to 3600, got "${value}"`);
  }
  return n;
}

/** A duration such as 90s, 24h or 0 (milliseconds). */
export function duration(value: string): number {
  try {
    return parseDuration(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

/** An RFC 3339 date-time. */
export function dateTime(value: string): Date {
  const at = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(at.getTime())) {
    throw new InvalidArgumentError(
      `must be an RFC 3339 date-time such as 2026-01-01T00:00:00Z, got "${value}"`,
    );
  }
  return at;
}

/** A comma-separated list without empty items. */
export function list(value: string): string[] {
  return value
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '');
}

/** Collects a repeatable option. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

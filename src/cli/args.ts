/** Small wrapper over node:util parseArgs with errors that name the flag. */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { HookstreamError } from '../core/errors.js';

export type Options = NonNullable<ParseArgsConfig['options']>;

export function parse<O extends Options>(
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

export function required(values: Record<string, unknown>, name: string, usage: string): string {
  const v = values[name];
  if (typeof v !== 'string' || v === '') {
    throw new HookstreamError('VALIDATION_FAILED', `--${name} is required\nusage: ${usage}`);
  }
  return v;
}

export function positiveInt(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < 1) {
    throw new HookstreamError(
      'VALIDATION_FAILED',
      `--${name} must be a positive whole number, got "${value}"`,
    );
  }
  return Number(value);
}

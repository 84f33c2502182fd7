/**
 * The command-line spelling of the delivery options (docs/options.md): `--rate-limit N|none`,
 * `--filter JSON|none`, `--header 'Name: value'` (repeatable), `--no-headers`. The values are
 * checked by the same core parsers as the API, in the service; here only the spelling.
 */
import { type Command, InvalidArgumentError } from 'commander';
import { HookstreamError } from '../core/errors.js';
import type { WebhookOptionsInput } from '../services/webhook-options.js';
import { collect } from './args.js';

/**
 * What `none` parses to. Not null: commander turns a parser's null into ''.
 */
export const NONE = 'none';

/** `none` (clears on update) or a whole number; the range is checked by the service. */
export function rateLimitArg(value: string): number | typeof NONE {
  if (value === NONE) return NONE;
  if (!/^\d+$/.test(value))
    throw new InvalidArgumentError(`must be a whole number of requests a second or none, got "${value}"`);
  return Number(value);
}

/** `none` (clears on update) or a JSON object. */
export function filterArg(value: string): unknown {
  if (value === NONE) return NONE;
  try {
    return JSON.parse(value);
  } catch (err) {
    throw new InvalidArgumentError(`must be a JSON object or none: ${(err as Error).message}`);
  }
}

/** What commander gives the option flags. `headers: false` is `--no-headers`. */
export interface OptionFlags {
  readonly rateLimit?: number | typeof NONE;
  readonly filter?: unknown;
  readonly header?: readonly string[];
  readonly headers?: boolean;
}

/**
 * The options input of `flags`: `--header 'Name: value'` splits at the first `:` and trims both
 * sides; `--no-headers` clears them (on update).
 */
export function optionsInput(flags: OptionFlags): WebhookOptionsInput {
  const input: { -readonly [K in keyof WebhookOptionsInput]: WebhookOptionsInput[K] } = {};
  if (flags.rateLimit !== undefined)
    input.rate_limit_per_s = flags.rateLimit === NONE ? null : flags.rateLimit;
  if (flags.filter !== undefined) input.filter = flags.filter === NONE ? null : flags.filter;
  if (flags.header !== undefined && flags.header.length > 0) {
    if (flags.headers === false) throw usage('--header and --no-headers exclude each other');
    const headers: Record<string, string> = {};
    for (const spec of flags.header) {
      const colon = spec.indexOf(':');
      if (colon <= 0) throw usage(`--header must be 'Name: value', got "${spec.slice(0, 100)}"`);
      const name = spec.slice(0, colon).trim();
      if (Object.hasOwn(headers, name)) throw usage(`--header ${name} is given twice`);
      headers[name] = spec.slice(colon + 1).trim();
    }
    input.headers = headers;
  } else if (flags.headers === false) input.headers = null;
  return input;
}

function usage(message: string): HookstreamError {
  return new HookstreamError('VALIDATION_FAILED', message);
}

/** Adds the option flags to `webhooks create` (`update` adds `--no-headers` too). */
export function addOptionFlags(cmd: Command, verb: 'create' | 'update'): Command {
  cmd
    .option(
      '--rate-limit <n>',
      `at most n requests a second, 1–10000${verb === 'update' ? ' (none: unlimited)' : ''}`,
      rateLimitArg,
    )
    .option(
      '--filter <json>',
      `only events matching this filter (docs/options.md)${verb === 'update' ? '; none: every event' : ''}`,
      filterArg,
    )
    .option('--header <name: value>', 'a custom header sent on every attempt (repeatable)', collect);
  if (verb === 'update') cmd.option('--no-headers', 'remove every custom header');
  return cmd;
}

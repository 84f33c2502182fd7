/**
 * The per-webhook delivery options (docs/options.md): `filter`, `headers`, `rate_limit_per_s`.
 * The core parsers validate (their errors are 422 `VALIDATION_FAILED` naming the exact path); this
 * file turns API input into the stored fields and the stored fields back into the API's view.
 */
import { type CustomHeader, customHeaderObject, parseCustomHeaders } from '../core/custom-headers.js';
import { parseFilter } from '../core/filter.js';
import { parseRateLimit } from '../core/rate-limit.js';
import type { WebhookDoc } from '../mongo/webhooks.js';
import type { ServiceConfig } from './context.js';

/** `HOOKSTREAM_HEADER_PREFIX` when the context does not say (its default). */
const DEFAULT_HEADER_PREFIX = 'Coverbase';

/** The options as given on create or PATCH: absent leaves as is (PATCH), null clears. */
export interface WebhookOptionsInput {
  readonly filter?: unknown;
  readonly headers?: unknown;
  readonly rate_limit_per_s?: unknown;
}

/** The stored fields of the options. */
export type StoredOptions = Pick<WebhookDoc, 'filter' | 'headers' | 'rate_limit_per_s'>;

/** The options as the API shows them. */
export interface WebhookOptionsView {
  readonly filter: Record<string, unknown> | null;
  readonly headers: Record<string, string>;
  readonly rate_limit_per_s: number | null;
}

/**
 * Validates the options present in `input` and returns the fields to store (only those given;
 * null stores "no option"). Throws `VALIDATION_FAILED` naming the bad path, header or value.
 */
export function parseWebhookOptions(
  input: WebhookOptionsInput,
  config: ServiceConfig,
): Partial<StoredOptions> {
  const set: { -readonly [K in keyof StoredOptions]?: StoredOptions[K] } = {};
  if (input.filter !== undefined) set.filter = input.filter === null ? null : parseFilter(input.filter).text;
  if (input.headers !== undefined) {
    const headerPrefix = config.headerPrefix ?? DEFAULT_HEADER_PREFIX;
    set.headers = input.headers === null ? [] : [...parseCustomHeaders(input.headers, { headerPrefix })];
  }
  if (input.rate_limit_per_s !== undefined) set.rate_limit_per_s = parseRateLimit(input.rate_limit_per_s);
  return set;
}

/** The stored options of `doc` as the API shows them; documents without the fields have none. */
export function webhookOptionsView(doc: Partial<StoredOptions>): WebhookOptionsView {
  return {
    filter: typeof doc.filter === 'string' ? (JSON.parse(doc.filter) as Record<string, unknown>) : null,
    headers: customHeaderObject(doc.headers ?? []),
    rate_limit_per_s: doc.rate_limit_per_s ?? null,
  };
}

/** The stored options of a new webhook with none given. */
export const NO_OPTIONS: StoredOptions = { filter: null, headers: [], rate_limit_per_s: null };

export type { CustomHeader };

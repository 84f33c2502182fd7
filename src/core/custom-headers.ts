/**
 * Custom delivery headers: static headers a webhook asks for (a gateway key, a routing tag), sent on
 * every attempt. Validated when the webhook is registered; re-checked when the sender loads it,
 * because the header prefix is configuration and may have changed since.
 *
 * Not secret-grade: they are stored and shown like the URL (in plain text, to anyone who may read
 * the webhook). A secret a receiver must trust belongs in the signature, which proves the sender.
 *
 * Rules (names case-insensitive):
 * - at most `MAX_CUSTOM_HEADERS`; names are RFC 7230 tokens, each name once;
 * - refused: hop-by-hop headers (`Connection`, `Keep-Alive`, `Proxy-*`, `TE`, `Trailer(s)`,
 *   `Transfer-Encoding`, `Upgrade`), headers the sender sets or that change how the signed body is
 *   read (`Host`, `Content-Length`, `Content-Type`, `Content-Encoding`, `Expect`, `User-Agent`),
 *   `<prefix>-*` (default `Coverbase-*`: the signature and ids) and `webhook-*` (Standard Webhooks),
 *   `traceparent`/`tracestate` (reserved for tracing);
 * - values: printable ASCII (0x20–0x7E) and tab, no CR/LF/NUL, no surrounding whitespace;
 * - Σ(name length + value length) ≤ `MAX_CUSTOM_HEADER_BYTES`.
 *
 * Errors are `VALIDATION_FAILED` (422) with details `{ path, header, reason }`; values are never
 * echoed. Reasons: `not_object`, `too_many`, `invalid_name`, `duplicate`, `hop_by_hop`, `reserved`,
 * `collides_with_signature`, `reserved_for_tracing`, `wrong_type`, `invalid_value`, `too_large`.
 */
import { HookstreamError } from './errors.js';

/** Most custom headers one webhook may have. */
export const MAX_CUSTOM_HEADERS = 20;
/** Largest total of name and value lengths, bytes (ASCII: one byte a character). @default 8192 */
export const MAX_CUSTOM_HEADER_BYTES = 8192;

export interface CustomHeader {
  readonly name: string;
  readonly value: string;
}

export interface CustomHeaderOptions {
  /** `HOOKSTREAM_HEADER_PREFIX`. @default 'Coverbase' */
  readonly headerPrefix: string;
}

/** RFC 7230 §3.2.6 `token`. */
const TOKEN_RE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Printable ASCII and horizontal tab. */
const VALUE_RE = /^[\t\x20-\x7e]*$/;

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'te',
  'trailer',
  'trailers',
  'transfer-encoding',
  'upgrade',
]);
const RESERVED = new Set([
  'host',
  'content-length',
  'content-type',
  'content-encoding',
  'expect',
  'user-agent',
]);
const TRACING = new Set(['traceparent', 'tracestate']);

/**
 * Why a header name (any case) is refused under `headerPrefix`, or `undefined` when it is allowed.
 * The name must already be a token.
 */
export function refusalOf(name: string, opts: CustomHeaderOptions): string | undefined {
  const lower = name.toLowerCase();
  if (HOP_BY_HOP.has(lower) || lower.startsWith('proxy-')) return 'hop_by_hop';
  if (RESERVED.has(lower)) return 'reserved';
  if (lower.startsWith(`${opts.headerPrefix.toLowerCase()}-`) || lower.startsWith('webhook-')) {
    return 'collides_with_signature';
  }
  if (TRACING.has(lower)) return 'reserved_for_tracing';
  return undefined;
}

const REFUSAL_TEXT: Readonly<Record<string, string>> = {
  hop_by_hop: 'is a hop-by-hop header, which belongs to one connection',
  reserved: 'is set by hookstream itself',
  reserved_for_tracing: 'is reserved for tracing',
};

/**
 * Validates the `headers` field of a webhook (`{ name: value }`) and returns the headers in the
 * order given, names as written. Throws `VALIDATION_FAILED` naming the first offending header.
 */
export function parseCustomHeaders(value: unknown, opts: CustomHeaderOptions): readonly CustomHeader[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new HookstreamError('VALIDATION_FAILED', 'headers: must be an object of name → value', {
      details: { path: 'headers', reason: 'not_object' },
    });
  }
  const names = Object.keys(value);
  if (names.length > MAX_CUSTOM_HEADERS) {
    throw new HookstreamError(
      'VALIDATION_FAILED',
      `headers: ${names.length} headers, more than the limit of ${MAX_CUSTOM_HEADERS}`,
      { details: { path: 'headers', reason: 'too_many' } },
    );
  }
  const seen = new Map<string, string>();
  const headers: CustomHeader[] = [];
  let bytes = 0;
  for (const name of names) {
    const headerValue = (value as Record<string, unknown>)[name];
    checkName(name, seen, opts);
    checkValue(name, headerValue);
    bytes += name.length + headerValue.length;
    if (bytes > MAX_CUSTOM_HEADER_BYTES) {
      throw refused(
        name,
        'too_large',
        `brings the headers past ${MAX_CUSTOM_HEADER_BYTES} bytes (names and values together)`,
      );
    }
    headers.push(Object.freeze({ name, value: headerValue }));
  }
  return Object.freeze(headers);
}

function checkName(name: string, seen: Map<string, string>, opts: CustomHeaderOptions): void {
  if (!TOKEN_RE.test(name)) {
    throw refused(
      name,
      'invalid_name',
      "is not a valid header name (RFC 7230 token: letters, digits, !#$%&'*+-.^_`|~)",
    );
  }
  const reason = refusalOf(name, opts);
  if (reason === 'collides_with_signature') {
    throw refused(name, reason, `collides with the delivery headers (${opts.headerPrefix}-*, webhook-*)`);
  }
  if (reason !== undefined) throw refused(name, reason, REFUSAL_TEXT[reason]!);
  const lower = name.toLowerCase();
  const earlier = seen.get(lower);
  if (earlier !== undefined)
    throw refused(name, 'duplicate', `repeats "${earlier}" (names are case-insensitive)`);
  seen.set(lower, name);
}

function checkValue(name: string, value: unknown): asserts value is string {
  if (typeof value !== 'string') {
    throw refused(
      name,
      'wrong_type',
      `value must be a string, got ${value === null ? 'null' : typeof value}`,
    );
  }
  if (!VALUE_RE.test(value)) {
    throw refused(
      name,
      'invalid_value',
      'value must be printable ASCII (no CR, LF, NUL or other control characters)',
    );
  }
  if (value !== value.trim()) {
    throw refused(name, 'invalid_value', 'value must not start or end with whitespace');
  }
}

function refused(name: string, reason: string, message: string): HookstreamError {
  const shown = TOKEN_RE.test(name) && name.length <= 100 ? name : JSON.stringify(name.slice(0, 100));
  return new HookstreamError('VALIDATION_FAILED', `headers.${shown}: ${message}`, {
    details: { path: `headers.${shown}`, header: shown, reason },
  });
}

/**
 * The stored headers the sender may still send under the current prefix, and the names it must
 * drop (log them once per webhook load; they were valid under an earlier `HOOKSTREAM_HEADER_PREFIX`).
 */
export function sendableCustomHeaders(
  stored: readonly CustomHeader[],
  opts: CustomHeaderOptions,
): { readonly headers: Readonly<Record<string, string>>; readonly dropped: readonly string[] } {
  const kept: [string, string][] = [];
  const dropped: string[] = [];
  for (const { name, value } of stored) {
    if (TOKEN_RE.test(name) && VALUE_RE.test(value) && refusalOf(name, opts) === undefined)
      kept.push([name, value]);
    else dropped.push(name);
  }
  // fromEntries defines own properties: a header named `__proto__` stays a header.
  return { headers: Object.fromEntries(kept), dropped };
}

/** `{ name: value }` of parsed headers, for API answers. */
export function customHeaderObject(headers: readonly CustomHeader[]): Record<string, string> {
  return Object.fromEntries(headers.map(({ name, value }) => [name, value]));
}

/**
 * Delivery signatures: produced by the sender, verified by receivers (exported from the package
 * root). Two schemes:
 *
 * - **hookstream** — `Coverbase-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>…]`, where each
 *   `v1` is HMAC-SHA256 keyed with one secret (the whole string as UTF-8) over `<t>.<raw body>`.
 *   During a secret rotation there is one `v1` per valid secret.
 * - **Standard Webhooks** — `webhook-id`, `webhook-timestamp`, and
 *   `webhook-signature: v1,<base64> [v1,<base64>…]`, HMAC-SHA256 keyed with the base64-decoded part
 *   of a `whsec_…` secret over `<id>.<timestamp>.<raw body>`.
 *
 * Always verify the raw body bytes as received: re-serialising parsed JSON changes them.
 *
 * @example
 * ```ts
 * import { verify, isHookstreamError } from 'hookstream';
 *
 * // inside your HTTP handler, with the raw body as a string or Buffer:
 * try {
 *   verify({
 *     header: req.headers['coverbase-signature'],
 *     body: rawBody,
 *     secrets: process.env.WEBHOOK_SECRET,
 *     nowSec: Math.floor(Date.now() / 1000),
 *   });
 * } catch (err) {
 *   if (isHookstreamError(err)) return res.status(401).end(); // SIGNATURE_INVALID or TIMESTAMP_OUT_OF_TOLERANCE
 *   throw err;
 * }
 * ```
 */
import { createHmac, createSecretKey, type KeyObject, timingSafeEqual } from 'node:crypto';
import { HookstreamError } from './errors.js';

/** The exact bytes POSTed: a string is taken as UTF-8. */
export type SignableBody = string | Uint8Array;

/** Default accepted clock difference between the signature timestamp and now, seconds. */
export const DEFAULT_TOLERANCE_SEC = 300;

const HEX_SIGNATURE_RE = /^[0-9a-f]{64}$/i;
const TIMESTAMP_RE = /^\d{1,15}$/;
const BASE64_SIGNATURE_RE = /^[A-Za-z0-9+/]{43}=$/;
const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const WHSEC_PREFIX = 'whsec_';

// ─── hookstream scheme ────────────────────────────────────────────────────────────────────────

/** Hex HMAC-SHA256 of `<timestampSec>.<body>`, keyed with `secret` as UTF-8. */
export function sign({
  secret,
  timestampSec,
  body,
}: {
  secret: string;
  timestampSec: number;
  body: SignableBody;
}): string {
  assertTimestamp(timestampSec);
  assertSecret(secret);
  return hmac(secret, `${timestampSec}.`, body).toString('hex');
}

/** The `Coverbase-Signature` value: `t=<timestampSec>,v1=<hex>` with one `v1` per secret, in order. */
export function signatureHeader({
  secrets,
  timestampSec,
  body,
}: {
  secrets: readonly string[];
  timestampSec: number;
  body: SignableBody;
}): string {
  if (secrets.length === 0) throw new RangeError('at least one secret is required to sign');
  let header = `t=${timestampSec}`;
  for (const secret of secrets) header += `,v1=${sign({ secret, timestampSec, body })}`;
  return header;
}

export interface VerifyOptions {
  /** The `Coverbase-Signature` header as received. */
  readonly header: string | readonly string[] | null | undefined;
  readonly body: SignableBody;
  /** Your webhook secret; during a rotation, both the new and the old one. */
  readonly secrets: string | readonly string[];
  /** Accepted difference between the signed timestamp and `nowSec`, seconds. @default 300 */
  readonly toleranceSec?: number;
  /** Current time, unix seconds: `Math.floor(Date.now() / 1000)`. */
  readonly nowSec: number;
}

/**
 * Verifies a `Coverbase-Signature` header and returns its timestamp. Accepts the delivery when any
 * `v1` matches any secret; unknown schemes (`v0=…`) are ignored. Comparisons are constant-time and
 * every (secret, signature) pair is compared, so timing reveals nothing about which one matched.
 * The signature is checked before the timestamp, so an unsigned timestamp is never trusted.
 *
 * Throws `HookstreamError`:
 * - `SIGNATURE_INVALID` — header absent or malformed (details `reason: 'malformed'`), or no
 *   signature matches (`reason: 'mismatch'`);
 * - `TIMESTAMP_OUT_OF_TOLERANCE` — signed more than `toleranceSec` before or after `nowSec`
 *   (a replay, or a clock that is off).
 */
export function verify(opts: VerifyOptions): { timestampSec: number } {
  const secrets = secretList(opts.secrets);
  const { timestampSec, signatures } = parseSignatureHeader(single(opts.header, 'signature'));
  let matched = false;
  for (const secret of secrets) {
    const expected = hmac(secret, `${timestampSec}.`, opts.body);
    for (const candidate of signatures) matched = timingSafeEqual(expected, candidate) || matched;
  }
  if (!matched) throw mismatch();
  checkTolerance(timestampSec, opts.nowSec, opts.toleranceSec);
  return { timestampSec };
}

function parseSignatureHeader(header: string): { timestampSec: number; signatures: Buffer[] } {
  let timestampSec: number | undefined;
  const signatures: Buffer[] = [];
  for (const rawPart of header.split(',')) {
    const part = rawPart.trim();
    const eq = part.indexOf('=');
    if (eq <= 0) throw malformed(`signature header part "${clip(part)}" is not key=value`);
    const key = part.slice(0, eq);
    const value = part.slice(eq + 1);
    if (key === 't') {
      if (timestampSec !== undefined) throw malformed('signature header has more than one t=');
      if (!TIMESTAMP_RE.test(value))
        throw malformed(`signature timestamp "${clip(value)}" is not unix seconds`);
      timestampSec = Number(value);
    } else if (key === 'v1') {
      if (!HEX_SIGNATURE_RE.test(value))
        throw malformed(`v1 signature "${clip(value)}" is not 64 hex characters`);
      signatures.push(Buffer.from(value, 'hex'));
    }
  }
  if (timestampSec === undefined) throw malformed('signature header has no t=');
  if (signatures.length === 0) throw malformed('signature header has no v1=');
  return { timestampSec, signatures };
}

// ─── Standard Webhooks scheme ─────────────────────────────────────────────────────────────────

/** A type alias, not an interface, so it can be passed where a headers record is expected. */
export type StandardWebhooksHeaders = {
  readonly 'webhook-id': string;
  readonly 'webhook-timestamp': string;
  readonly 'webhook-signature': string;
};

/**
 * Standard Webhooks headers for one message. `secrets` are `whsec_<base64>` (the prefix may be
 * left out); `webhook-signature` holds one `v1,<base64>` per secret, separated by spaces.
 */
export function standardWebhooksHeaders({
  msgId,
  timestampSec,
  body,
  secrets,
}: {
  msgId: string;
  timestampSec: number;
  body: SignableBody;
  secrets: readonly string[];
}): StandardWebhooksHeaders {
  assertTimestamp(timestampSec);
  if (msgId === '') throw new RangeError('msgId must not be empty');
  if (secrets.length === 0) throw new RangeError('at least one secret is required to sign');
  const signatures = secrets.map(
    (secret) => `v1,${hmac(standardKey(secret), `${msgId}.${timestampSec}.`, body).toString('base64')}`,
  );
  return {
    'webhook-id': msgId,
    'webhook-timestamp': String(timestampSec),
    'webhook-signature': signatures.join(' '),
  };
}

export interface VerifyStandardWebhookOptions {
  /** Request headers; names are matched case-insensitively. */
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  readonly body: SignableBody;
  /** `whsec_<base64>` secrets (the prefix may be left out). */
  readonly secrets: string | readonly string[];
  /** @default 300 */
  readonly toleranceSec?: number;
  /** Current time, unix seconds. */
  readonly nowSec: number;
}

/**
 * Verifies Standard Webhooks headers and returns the message id (use it to dedupe) and timestamp.
 * Signatures of other versions (`v1a,…`) are ignored. Same errors and constant-time guarantees as
 * `verify`.
 */
export function verifyStandardWebhook(opts: VerifyStandardWebhookOptions): {
  msgId: string;
  timestampSec: number;
} {
  const keys = secretList(opts.secrets).map(standardKey);
  const msgId = single(header(opts.headers, 'webhook-id'), 'webhook-id');
  const timestampText = single(header(opts.headers, 'webhook-timestamp'), 'webhook-timestamp');
  if (!TIMESTAMP_RE.test(timestampText))
    throw malformed(`webhook-timestamp "${clip(timestampText)}" is not unix seconds`);
  const timestampSec = Number(timestampText);
  const signatures: Buffer[] = [];
  for (const entry of single(header(opts.headers, 'webhook-signature'), 'webhook-signature').split(' ')) {
    if (entry === '') continue;
    const comma = entry.indexOf(',');
    if (comma <= 0) throw malformed(`webhook-signature entry "${clip(entry)}" is not version,signature`);
    if (entry.slice(0, comma) !== 'v1') continue;
    const value = entry.slice(comma + 1);
    if (!BASE64_SIGNATURE_RE.test(value))
      throw malformed(`v1 signature "${clip(value)}" is not a base64 SHA-256 HMAC`);
    signatures.push(Buffer.from(value, 'base64'));
  }
  if (signatures.length === 0) throw malformed('webhook-signature has no v1 signature');
  let matched = false;
  for (const key of keys) {
    const expected = hmac(key, `${msgId}.${timestampSec}.`, opts.body);
    for (const candidate of signatures) matched = timingSafeEqual(expected, candidate) || matched;
  }
  if (!matched) throw mismatch();
  checkTolerance(timestampSec, opts.nowSec, opts.toleranceSec);
  return { msgId, timestampSec };
}

function standardKey(secret: string): KeyObject {
  const encoded = secret.startsWith(WHSEC_PREFIX) ? secret.slice(WHSEC_PREFIX.length) : secret;
  if (encoded === '' || !BASE64_RE.test(encoded)) {
    throw new RangeError('a Standard Webhooks secret must be whsec_ followed by base64');
  }
  return createSecretKey(Buffer.from(encoded, 'base64'));
}

function header(
  headers: Readonly<Record<string, string | readonly string[] | undefined>>,
  name: string,
): string | readonly string[] | undefined {
  if (Object.hasOwn(headers, name)) return headers[name];
  for (const key of Object.keys(headers)) if (key.toLowerCase() === name) return headers[key];
  return undefined;
}

// ─── shared ───────────────────────────────────────────────────────────────────────────────────

/**
 * `key`: a `v1` secret as the string itself (HMAC over its UTF-8 bytes) or a KeyObject. Not a
 * Buffer: on Node 24 `createHmac` with a Buffer key costs ~28 µs against ~4 µs for the same key as
 * a string and ~10 µs for a fresh KeyObject (measured, 1 KB bodies) — most of a sender's signing time.
 */
function hmac(key: string | KeyObject, prefix: string, body: SignableBody): Buffer {
  const mac = createHmac('sha256', key);
  mac.update(prefix, 'utf8');
  if (typeof body === 'string') mac.update(body, 'utf8');
  else mac.update(body);
  return mac.digest();
}

function checkTolerance(timestampSec: number, nowSec: number, toleranceSec = DEFAULT_TOLERANCE_SEC): void {
  if (!Number.isFinite(nowSec)) throw new RangeError(`nowSec must be unix seconds, got ${nowSec}`);
  if (Math.abs(nowSec - timestampSec) > toleranceSec) {
    throw new HookstreamError(
      'TIMESTAMP_OUT_OF_TOLERANCE',
      `signature timestamp ${timestampSec} is ${Math.abs(nowSec - timestampSec)} s away from now, more than ${toleranceSec} s`,
      { details: { timestampSec, nowSec, toleranceSec } },
    );
  }
}

function secretList(secrets: string | readonly string[]): readonly string[] {
  const list = typeof secrets === 'string' ? [secrets] : secrets;
  if (list.length === 0) throw new RangeError('at least one secret is required to verify');
  for (const secret of list) assertSecret(secret);
  return list;
}

function single(value: string | readonly string[] | null | undefined, name: string): string {
  if (value === null || value === undefined || value === '') throw malformed(`${name} header is missing`);
  if (typeof value !== 'string') throw malformed(`${name} header appears more than once`);
  return value;
}

function assertSecret(secret: string): void {
  if (typeof secret !== 'string' || secret === '')
    throw new RangeError('a secret must be a non-empty string');
}

function assertTimestamp(timestampSec: number): void {
  if (!Number.isSafeInteger(timestampSec) || timestampSec < 0) {
    throw new RangeError(`timestampSec must be whole unix seconds, got ${timestampSec}`);
  }
}

function malformed(message: string): HookstreamError {
  return new HookstreamError('SIGNATURE_INVALID', message, { details: { reason: 'malformed' } });
}

function mismatch(): HookstreamError {
  return new HookstreamError('SIGNATURE_INVALID', 'no signature matches the secret(s)', {
    details: { reason: 'mismatch' },
  });
}

function clip(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

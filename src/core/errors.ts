/**
 * The one catalog of error codes hookstream raises on purpose, and the error class that carries them.
 *
 * Callers branch on `code` and `retriable`, never on the message text. `retriable` says whether the
 * same operation may succeed if tried again later (a store was briefly unreachable); retrying the
 * same input after a validation error cannot help. `httpStatus` is what the admin API answers with.
 *
 * Misuse of a function by the calling code (an attempt number of 0, an empty secret list) throws a
 * plain `TypeError`/`RangeError` instead: that is a bug to fix, not an outcome to handle.
 */
export const ERROR_CODES = {
  /** A domain event decoded but its envelope is invalid (details: `field`, `reason`). */
  INVALID_ENVELOPE: { retriable: false, httpStatus: 422 },
  /** A domain event's bytes are not UTF-8 JSON / not valid Confluent wire format. */
  UNDECODABLE_EVENT: { retriable: false, httpStatus: 400 },
  /** An Avro event names a schema id the registry does not know. */
  UNKNOWN_SCHEMA: { retriable: false, httpStatus: 422 },
  /** A delivery job read from Kafka is malformed (details: `field`). */
  INVALID_JOB: { retriable: false, httpStatus: 500 },
  INVALID_CONFIG: { retriable: false, httpStatus: 500 },
  /** A stored webhook secret cannot be decrypted (unknown format, or HOOKSTREAM_SECRET_KEY changed). */
  SECRET_UNREADABLE: { retriable: false, httpStatus: 500 },
  /** A retry tier, tier list, budget or duration is malformed (details: `value`, `reason`). */
  INVALID_TIER: { retriable: false, httpStatus: 400 },
  /** A request body that is not JSON at all. */
  BAD_REQUEST: { retriable: false, httpStatus: 400 },
  VALIDATION_FAILED: { retriable: false, httpStatus: 422 },
  NOT_FOUND: { retriable: false, httpStatus: 404 },
  CONFLICT: { retriable: false, httpStatus: 409 },
  UNAUTHORIZED: { retriable: false, httpStatus: 401 },
  FORBIDDEN: { retriable: false, httpStatus: 403 },
  /** Too many failed authentications from one client address (the API answers Retry-After). */
  RATE_LIMITED: { retriable: true, httpStatus: 429 },
  PAYLOAD_TOO_LARGE: { retriable: false, httpStatus: 413 },
  STORE_UNAVAILABLE: { retriable: true, httpStatus: 503 },
  /** Kafka refused this client's TLS or SASL: login rejected, certificate untrusted, protocol mismatch (details: `broker`, `reason`). */
  KAFKA_SECURITY_FAILED: { retriable: false, httpStatus: 503 },
  /** MongoDB refused this client's TLS or login: certificate untrusted, handshake failed, login rejected (details: `server`, `reason`). */
  MONGODB_SECURITY_FAILED: { retriable: false, httpStatus: 503 },
  /** A webhook URL points at a loopback/private/link-local/metadata address (SSRF guard). */
  TARGET_FORBIDDEN: { retriable: false, httpStatus: 422 },
  /** A delivery signature header is malformed or matches none of the secrets. */
  SIGNATURE_INVALID: { retriable: false, httpStatus: 401 },
  /** A correctly signed delivery whose timestamp is outside the tolerance (replay protection). */
  TIMESTAMP_OUT_OF_TOLERANCE: { retriable: false, httpStatus: 401 },
  /** An event's delivery job would exceed the topic's `max.message.bytes` (details: `size`, `limit`, bytes). */
  JOB_TOO_LARGE: { retriable: false, httpStatus: 413 },
  /** Kafka refused an event's job for good (details: `kafka_error`, the broker's error type). */
  JOB_REFUSED: { retriable: false, httpStatus: 500 },
  /** A per-environment quota is used up (details: `limit`), e.g. HOOKSTREAM_MAX_WEBHOOKS_PER_ENVIRONMENT. */
  LIMIT_EXCEEDED: { retriable: false, httpStatus: 422 },
} as const satisfies Record<string, { readonly retriable: boolean; readonly httpStatus: number }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface HookstreamErrorOptions {
  readonly cause?: unknown;
  /** Machine-readable context, e.g. `{ field: 'event_id', reason: 'missing' }`. Never secrets. */
  readonly details?: Readonly<Record<string, unknown>>;
  /** Overrides the code's default from `ERROR_CODES`. */
  readonly retriable?: boolean;
}

export class HookstreamError extends Error {
  override readonly name = 'HookstreamError';
  readonly code: ErrorCode;
  readonly retriable: boolean;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: ErrorCode, message: string, options: HookstreamErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retriable = options.retriable ?? ERROR_CODES[code].retriable;
    this.details = options.details;
  }

  get httpStatus(): number {
    return ERROR_CODES[this.code].httpStatus;
  }
}

/** True when `err` is a `HookstreamError` (with the given code, when one is passed). */
export function isHookstreamError<C extends ErrorCode>(
  err: unknown,
  code?: C,
): err is HookstreamError & { readonly code: C } {
  return err instanceof HookstreamError && (code === undefined || err.code === code);
}

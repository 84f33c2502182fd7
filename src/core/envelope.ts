/**
 * The domain-event envelope: bytes (or an Avro-decoded object) → a validated `Envelope`, and the
 * canonical JSON body that is POSTed and signed.
 *
 * Validation reports the first problem found, in field order, as a `HookstreamError` whose
 * `details` carry `field` (e.g. `event_id`, `data.items[3]`) and `reason`:
 * - `UNDECODABLE_EVENT` — `invalid_utf8`, `not_json`
 * - `PAYLOAD_TOO_LARGE` — `too_large` (details also carry `size` and `limit`, bytes)
 * - `INVALID_ENVELOPE` — `not_object`, `missing`, `wrong_type`, `empty`, `too_long`,
 *   `invalid_chars`, `unknown_event_type`, `invalid_format`, `no_record_timestamp`, `too_deep`,
 *   `not_json_value`
 *
 * Unknown top-level fields are dropped: the output (and so the body receivers get) holds only the
 * documented fields, so producers cannot leak internal fields to third parties by accident.
 */
import { HookstreamError } from './errors.js';
import { type EventType, isEventType } from './event-types.js';
import { normalizeRfc3339 } from './rfc3339.js';

export {
  EVENT_FAMILIES,
  EVENT_TYPES,
  type EventType,
  isEventType,
  isValidSubscription,
} from './event-types.js';

export type JsonValue = string | number | boolean | null | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

export interface Envelope {
  readonly event_id: string;
  readonly event_type: EventType;
  readonly environment: string;
  /** Canonical UTC form `YYYY-MM-DDTHH:mm:ss.sssZ`. */
  readonly created_at: string;
  readonly workflow_run_id?: string;
  readonly data: JsonObject;
}

export interface ValidateEnvelopeOptions {
  /** Kafka record timestamp, epoch milliseconds: the `created_at` of events that carry none. */
  readonly recordTimestampMs: number;
}

export interface ParseEnvelopeOptions extends ValidateEnvelopeOptions {
  /** Largest accepted event, bytes. @default 1_000_000 */
  readonly maxBytes?: number;
}

export const ENVIRONMENT_RE = /^[a-z0-9][a-z0-9-]{0,62}$/;
/**
 * `event_id`, like every value that ends up in an HTTP header, is 1–200 visible ASCII characters
 * (0x21–0x7E): no spaces, control characters or non-ASCII, which Node refuses in header values.
 */
export const EVENT_ID_RE = /^[\x21-\x7e]{1,200}$/;
export const EVENT_ID_MAX_LENGTH = 200;
export const WORKFLOW_RUN_ID_MAX_LENGTH = 200;
/** `data` itself is depth 1; an object or array inside it is depth 2, and so on. */
export const MAX_DATA_DEPTH = 64;
export const DEFAULT_MAX_EVENT_BYTES = 1_000_000;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes and validates one JSON domain event. A UTF-8 byte-order mark is skipped. Numbers are
 * JavaScript doubles: integers beyond 2^53 lose precision, and `1e400` is rejected as not finite.
 */
export function parseEnvelope(raw: Buffer | Uint8Array | string, opts: ParseEnvelopeOptions): Envelope {
  const limit = opts.maxBytes ?? DEFAULT_MAX_EVENT_BYTES;
  const size = typeof raw === 'string' ? Buffer.byteLength(raw, 'utf8') : raw.byteLength;
  if (size > limit) {
    throw new HookstreamError(
      'PAYLOAD_TOO_LARGE',
      `event is ${size} bytes, more than the limit of ${limit}`,
      {
        details: { reason: 'too_large', size, limit },
      },
    );
  }
  let text: string;
  if (typeof raw === 'string') {
    text = raw;
  } else {
    try {
      text = utf8.decode(raw);
    } catch (err) {
      throw new HookstreamError('UNDECODABLE_EVENT', 'event is not valid UTF-8', {
        cause: err,
        details: { reason: 'invalid_utf8' },
      });
    }
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new HookstreamError('UNDECODABLE_EVENT', `event is not JSON: ${(err as Error).message}`, {
      cause: err,
      details: { reason: 'not_json' },
    });
  }
  return validateEnvelope(value, opts);
}

/**
 * Validates an already decoded event (JSON or Avro). `data` must consist of JSON values only:
 * objects, arrays, strings, finite numbers, booleans and null. Dates, Buffers, typed arrays, Maps,
 * Sets, bigints and `undefined` are rejected, because `JSON.stringify` would silently change or drop
 * them — configure the Avro decoder to map logical types to JSON-compatible values.
 */
export function validateEnvelope(value: unknown, opts: ValidateEnvelopeOptions): Envelope {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new HookstreamError('INVALID_ENVELOPE', `event must be a JSON object, got ${describe(value)}`, {
      details: { reason: 'not_object' },
    });
  }
  const event = value as Record<string, unknown>;

  const eventId = own(event, 'event_id');
  requireString('event_id', eventId);
  if (eventId.length > EVENT_ID_MAX_LENGTH) {
    throw invalid(
      'event_id',
      'too_long',
      `must be at most ${EVENT_ID_MAX_LENGTH} characters, got ${eventId.length}`,
    );
  }
  if (!EVENT_ID_RE.test(eventId)) {
    throw invalid(
      'event_id',
      'invalid_chars',
      'must be visible ASCII characters only (no spaces or control characters)',
    );
  }

  const eventType = own(event, 'event_type');
  requireString('event_type', eventType);
  if (!isEventType(eventType)) {
    throw invalid(
      'event_type',
      'unknown_event_type',
      `"${truncate(eventType)}" is not in the event taxonomy`,
    );
  }

  const environment = own(event, 'environment');
  requireString('environment', environment);
  if (!ENVIRONMENT_RE.test(environment)) {
    throw invalid(
      'environment',
      'invalid_format',
      `"${truncate(environment)}" must be 1-63 lowercase letters, digits or '-', not starting with '-'`,
    );
  }

  const createdAt = createdAtOf(own(event, 'created_at'), opts.recordTimestampMs);

  const workflowRunId = own(event, 'workflow_run_id');
  if (workflowRunId !== undefined && workflowRunId !== null) {
    requireString('workflow_run_id', workflowRunId);
    if (workflowRunId.length > WORKFLOW_RUN_ID_MAX_LENGTH) {
      throw invalid(
        'workflow_run_id',
        'too_long',
        `must be at most ${WORKFLOW_RUN_ID_MAX_LENGTH} characters`,
      );
    }
  }

  const data = own(event, 'data');
  if (data === undefined) throw invalid('data', 'missing', 'is required');
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw invalid('data', 'wrong_type', `must be an object, got ${describe(data)}`);
  }
  checkJsonTree(data);

  // Same key order as the body (see serializeEnvelope), so logs read the same.
  return {
    event_id: eventId,
    event_type: eventType,
    environment,
    created_at: createdAt,
    ...(typeof workflowRunId === 'string' ? { workflow_run_id: workflowRunId } : {}),
    data: data as JsonObject,
  };
}

/**
 * The exact body POSTed to receivers and signed: compact JSON with keys in the order `event_id`,
 * `event_type`, `environment`, `created_at`, `workflow_run_id` (only when present), `data`. Keys
 * inside `data` keep JavaScript property order (integer-like keys first, then insertion order).
 */
export function serializeEnvelope(env: Envelope): string {
  const ordered =
    env.workflow_run_id === undefined
      ? {
          event_id: env.event_id,
          event_type: env.event_type,
          environment: env.environment,
          created_at: env.created_at,
          data: env.data,
        }
      : {
          event_id: env.event_id,
          event_type: env.event_type,
          environment: env.environment,
          created_at: env.created_at,
          workflow_run_id: env.workflow_run_id,
          data: env.data,
        };
  return JSON.stringify(ordered);
}

function createdAtOf(value: unknown, recordTimestampMs: number): string {
  if (value === undefined || value === null) {
    if (!Number.isFinite(recordTimestampMs) || recordTimestampMs < 0) {
      throw invalid('created_at', 'no_record_timestamp', 'is missing and the Kafka record has no timestamp');
    }
    return new Date(recordTimestampMs).toISOString();
  }
  requireString('created_at', value);
  const normalized = normalizeRfc3339(value);
  if (normalized === null) {
    throw invalid('created_at', 'invalid_format', `"${truncate(value)}" is not an RFC 3339 date-time`);
  }
  return normalized;
}

function requireString(field: string, value: unknown): asserts value is string {
  if (value === undefined || value === null) throw invalid(field, 'missing', 'is required');
  if (typeof value !== 'string')
    throw invalid(field, 'wrong_type', `must be a string, got ${describe(value)}`);
  if (value === '') throw invalid(field, 'empty', 'must not be empty');
}

interface Frame {
  readonly value: object;
  readonly depth: number;
  readonly parent: Frame | undefined;
  readonly key: string | number;
}

/**
 * Walks `data` without recursion (hostile nesting cannot overflow the stack) and rejects nesting
 * deeper than `MAX_DATA_DEPTH` and anything that is not a JSON value. A cycle is caught by the
 * depth limit.
 */
function checkJsonTree(data: object): void {
  const root: Frame = { value: data, depth: 1, parent: undefined, key: 'data' };
  rejectNonPlain(data, root);
  const stack: Frame[] = [root];
  for (let frame = stack.pop(); frame !== undefined; frame = stack.pop()) {
    const container = frame.value;
    if (Array.isArray(container)) {
      for (let i = 0; i < container.length; i++) visitChild(frame, i, container[i], stack);
    } else {
      const record = container as Record<string, unknown>;
      for (const key of Object.keys(record)) visitChild(frame, key, record[key], stack);
    }
  }
}

function visitChild(parent: Frame, key: string | number, child: unknown, stack: Frame[]): void {
  switch (typeof child) {
    case 'string':
    case 'boolean':
      return;
    case 'number':
      if (!Number.isFinite(child)) throw notJson(parent, key, `${child} is not a finite number`);
      return;
    case 'object': {
      if (child === null) return;
      const frame: Frame = { value: child, depth: parent.depth + 1, parent, key };
      if (frame.depth > MAX_DATA_DEPTH) {
        throw invalid(pathOf(frame), 'too_deep', `nesting is deeper than ${MAX_DATA_DEPTH} levels`);
      }
      rejectNonPlain(child, frame);
      stack.push(frame);
      return;
    }
    default:
      throw notJson(parent, key, `${typeof child} is not a JSON value`);
  }
}

function rejectNonPlain(value: object, frame: Frame): void {
  if (Array.isArray(value)) return;
  if (
    ArrayBuffer.isView(value) ||
    value instanceof Map ||
    value instanceof Set ||
    typeof (value as { toJSON?: unknown }).toJSON === 'function'
  ) {
    const kind = value.constructor?.name ?? 'object';
    throw invalid(pathOf(frame), 'not_json_value', `${kind} is not a JSON value`);
  }
}

function notJson(parent: Frame, key: string | number, message: string): HookstreamError {
  return invalid(pathOf({ value: {}, depth: parent.depth + 1, parent, key }), 'not_json_value', message);
}

const IDENTIFIER_RE = /^[A-Za-z_$][\w$]*$/;

function pathOf(frame: Frame): string {
  const parts: string[] = [];
  let f: Frame | undefined = frame;
  for (; f?.parent !== undefined; f = f.parent) {
    const key = f.key;
    parts.push(
      typeof key === 'number' ? `[${key}]` : IDENTIFIER_RE.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`,
    );
  }
  return `data${parts.reverse().join('')}`;
}

function invalid(field: string, reason: string, message: string): HookstreamError {
  return new HookstreamError('INVALID_ENVELOPE', `${field}: ${message}`, { details: { field, reason } });
}

function own(obj: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(obj, key) ? obj[key] : undefined;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}

function truncate(text: string): string {
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}

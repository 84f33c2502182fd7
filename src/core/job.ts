/**
 * The delivery job carried on `hookstream.deliveries` and the retry tiers, and its JSON codec.
 * A job never carries secrets: the sender looks them up by `webhook_id` when it signs.
 */
import { ENVIRONMENT_RE, type Envelope, EVENT_ID_RE, serializeEnvelope } from './envelope.js';
import { HookstreamError } from './errors.js';
import { deliveryId } from './ids.js';
import { parseRfc3339 } from './rfc3339.js';

export interface DeliveryJob {
  readonly delivery_id: string;
  readonly event_id: string;
  readonly event_type: string;
  readonly environment: string;
  readonly webhook_id: string;
  /** The number of the attempt this job will make, 1-based. */
  readonly attempt: number;
  /** When attempt 1 was made, epoch milliseconds; null until then. The retry budget runs from here. */
  readonly first_attempt_at: number | null;
  /** Not to be attempted before this, epoch milliseconds. */
  readonly due_at: number;
  /** The event's `created_at` (RFC 3339). */
  readonly created_at: string;
  /** Set on jobs made by a manual retry or replay. */
  readonly replay?: boolean;
  /**
   * W3C `traceparent` of the router's produce span when tracing is on: every attempt of the
   * delivery continues it. Copied by `nextJob`; absent on replays (they start a trace).
   */
  readonly traceparent?: string;
  /** The exact body to POST and sign (`serializeEnvelope`). */
  readonly body: string;
  /** Set by the router when the webhook's payload filter let the event through (docs/options.md). */
  readonly filter_applied?: boolean;
  /**
   * Time spent waiting for the webhook's rate limit since the first attempt, ms (default 0): added
   * to the retry budget, which counts only time spent trying.
   */
  readonly throttled_ms?: number;
}

/**
 * A W3C trace-context `traceparent`: version (not ff), 32-hex trace id and 16-hex parent id (neither
 * all zeros), flags; lowercase, 55 characters.
 */
export const TRACEPARENT_RE = /^(?!ff)[0-9a-f]{2}-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}$/;

/*
 * The only three ways a job comes to be. No other file writes a `DeliveryJob` literal.
 */

/**
 * The first-attempt job of `envelope` for one matching webhook, due now. `body` is the envelope's
 * exact serialized bytes (`serializeEnvelope`); pass it when routing one event to many webhooks so
 * it is serialized once. `traceparent`: the trace the delivery continues (tracing on), else absent.
 */
export interface FirstJobOptions {
  /** The envelope's exact serialized bytes; pass it when routing one event to many webhooks (serialized once). */
  readonly body?: string;
  /** The webhook's payload filter let the event through (recorded on the delivery). */
  readonly filterApplied?: boolean;
  /** W3C trace context the attempts continue (tracing on). */
  readonly traceparent?: string | undefined;
}

export function firstJob(
  envelope: Envelope,
  webhookId: string,
  nowMs: number,
  opts: FirstJobOptions = {},
): DeliveryJob {
  const { body = serializeEnvelope(envelope), filterApplied = false, traceparent } = opts;
  const job: DeliveryJob = {
    delivery_id: deliveryId(envelope.event_id, webhookId),
    event_id: envelope.event_id,
    event_type: envelope.event_type,
    environment: envelope.environment,
    webhook_id: webhookId,
    attempt: 1,
    first_attempt_at: null,
    due_at: nowMs,
    created_at: envelope.created_at,
    body,
    ...(filterApplied ? { filter_applied: true } : {}),
  };
  // Two shapes, no spread when tracing is off: the job of the hot path stays as it was.
  return traceparent === undefined ? job : { ...job, traceparent };
}

/** The job of the next attempt after a failed one: same delivery, the budget still running from the first attempt. */
export function nextJob(
  job: DeliveryJob,
  next: { readonly attempt: number; readonly dueAtMs: number; readonly firstAttemptAtMs: number },
): DeliveryJob {
  return { ...job, attempt: next.attempt, first_attempt_at: next.firstAttemptAtMs, due_at: next.dueAtMs };
}

/** What a replay needs of a stored delivery record. */
export interface ReplaySource {
  readonly delivery_id: string;
  readonly event_id: string;
  readonly event_type: string;
  readonly environment: string;
  readonly webhook_id: string;
  /** Attempts made so far. */
  readonly attempts: number;
  /** The event's `created_at` (RFC 3339). */
  readonly created_at: string;
  readonly body: string;
}

/**
 * A manual retry or replay of a stored delivery: the next attempt number, due now, with a new
 * budget (`first_attempt_at` null: it starts at this attempt).
 */
export function replayJob(source: ReplaySource, nowMs: number): DeliveryJob {
  return {
    delivery_id: source.delivery_id,
    event_id: source.event_id,
    event_type: source.event_type,
    environment: source.environment,
    webhook_id: source.webhook_id,
    attempt: source.attempts + 1,
    first_attempt_at: null,
    due_at: nowMs,
    created_at: source.created_at,
    replay: true,
    body: source.body,
  };
}

/**
 * Values that become HTTP header values (ids, the event type) must be 1–200 visible ASCII
 * characters. `event_type` is not checked against the taxonomy: a job already in flight stays
 * deliverable if the taxonomy changes.
 */
const HEADER_TOKEN_RE = EVENT_ID_RE;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Validates and encodes a job as compact JSON with a stable key order. Throws `INVALID_JOB`. */
export function encodeJob(job: DeliveryJob): Buffer {
  return Buffer.from(JSON.stringify(checkJob(job)), 'utf8');
}

/** Decodes and validates a job. Unknown fields are dropped. Throws `INVALID_JOB` (details: `field`). */
export function decodeJob(raw: Buffer | Uint8Array | string): DeliveryJob {
  let value: unknown;
  try {
    value = JSON.parse(typeof raw === 'string' ? raw : utf8.decode(raw));
  } catch (err) {
    throw new HookstreamError('INVALID_JOB', `delivery job is not UTF-8 JSON: ${(err as Error).message}`, {
      cause: err,
    });
  }
  return checkJob(value);
}

function checkJob(value: unknown): DeliveryJob {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new HookstreamError('INVALID_JOB', 'delivery job must be a JSON object');
  }
  const job = value as Record<string, unknown>;
  const token = (field: string): string => {
    const v = job[field];
    if (typeof v !== 'string' || !HEADER_TOKEN_RE.test(v))
      throw invalidJob(field, 'must be 1-200 visible ASCII characters');
    return v;
  };
  const epochMs = (field: string, v: unknown): number => {
    if (!Number.isSafeInteger(v) || (v as number) < 0) throw invalidJob(field, 'must be epoch milliseconds');
    return v as number;
  };

  const delivery_id = token('delivery_id');
  const event_id = token('event_id');
  const event_type = token('event_type');
  const webhook_id = token('webhook_id');
  const environment = job['environment'];
  if (typeof environment !== 'string' || !ENVIRONMENT_RE.test(environment)) {
    throw invalidJob('environment', 'must match [a-z0-9][a-z0-9-]{0,62}');
  }
  const attempt = job['attempt'];
  if (!Number.isSafeInteger(attempt) || (attempt as number) < 1)
    throw invalidJob('attempt', 'must be a whole number ≥ 1');
  const first_attempt_at =
    job['first_attempt_at'] === null ? null : epochMs('first_attempt_at', job['first_attempt_at']);
  const due_at = epochMs('due_at', job['due_at']);
  const created_at = job['created_at'];
  if (typeof created_at !== 'string' || parseRfc3339(created_at) === null) {
    throw invalidJob('created_at', 'must be an RFC 3339 date-time');
  }
  const replay = job['replay'];
  if (replay !== undefined && typeof replay !== 'boolean')
    throw invalidJob('replay', 'must be a boolean when present');
  const traceparent = job['traceparent'];
  if (traceparent !== undefined && (typeof traceparent !== 'string' || !TRACEPARENT_RE.test(traceparent)))
    throw invalidJob('traceparent', 'must be a W3C traceparent (00-<32 hex>-<16 hex>-<2 hex>) when present');
  const body = job['body'];
  if (typeof body !== 'string') throw invalidJob('body', 'must be a string');
  const filterApplied = job['filter_applied'];
  if (filterApplied !== undefined && typeof filterApplied !== 'boolean')
    throw invalidJob('filter_applied', 'must be a boolean when present');
  const throttledMs = job['throttled_ms'];
  if (throttledMs !== undefined && (!Number.isSafeInteger(throttledMs) || (throttledMs as number) < 0))
    throw invalidJob('throttled_ms', 'must be whole milliseconds ≥ 0 when present');

  const checked: DeliveryJob = {
    delivery_id,
    event_id,
    event_type,
    environment,
    webhook_id,
    attempt: attempt as number,
    first_attempt_at,
    due_at,
    created_at,
    ...(replay === true ? { replay: true } : {}),
    body,
    ...(filterApplied === true ? { filter_applied: true } : {}),
    ...(throttledMs === undefined || throttledMs === 0 ? {} : { throttled_ms: throttledMs as number }),
  };
  // Last key when present; without it (tracing off) nothing more is built.
  return traceparent === undefined ? checked : { ...checked, traceparent: traceparent as string };
}

function invalidJob(field: string, message: string): HookstreamError {
  return new HookstreamError('INVALID_JOB', `delivery job ${field}: ${message}`, { details: { field } });
}

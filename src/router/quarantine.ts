/**
 * The record written to `<prefix>.events.invalid` for an event the router cannot route: the event's
 * own bytes (when they fit) and, in headers, the error code, reason, message and where it came from.
 */
import type { KafkaMessage, Message } from 'kafkajs';
import { HookstreamError, isHookstreamError } from '../core/errors.js';
import type { Logger } from '../observability/logger.js';
import { metrics } from '../observability/metrics.js';

/** Bytes kept for the quarantine headers when deciding whether the event's own bytes fit. */
const HEADER_ALLOWANCE_BYTES = 2_048;

export interface QuarantineContext {
  readonly topic: string;
  readonly partition: number;
  readonly logger: Logger;
  /** Largest record value the invalid topic takes with the headers, bytes. */
  readonly maxValueBytes: number;
}

/** Any thrown value as a catalog error (unknown decoder failures count as undecodable). */
export function asHookstreamError(err: unknown): HookstreamError {
  return isHookstreamError(err)
    ? err
    : new HookstreamError('UNDECODABLE_EVENT', String((err as Error)?.message ?? err), { cause: err });
}

/**
 * Counts, logs and builds the quarantine record of `message`. `eventId` is given when the event
 * decoded that far. `withValue: false` leaves the event's bytes out (they are too large for the
 * invalid topic); the header `hookstream-value-omitted` then says how many there were.
 */
export function quarantineRecord(
  error: HookstreamError,
  message: KafkaMessage,
  ctx: QuarantineContext,
  opts: { eventId?: string; withValue?: boolean } = {},
): Message {
  const reason = String(error.details?.reason ?? error.code.toLowerCase());
  const size = message.value?.length ?? 0;
  const withValue = (opts.withValue ?? true) && size + HEADER_ALLOWANCE_BYTES <= ctx.maxValueBytes;
  metrics.eventsInvalid.inc({ reason: error.code.toLowerCase() });
  ctx.logger.warn(
    {
      ...(opts.eventId === undefined ? {} : { event_id: opts.eventId }),
      topic: ctx.topic,
      partition: ctx.partition,
      offset: message.offset,
      code: error.code,
      reason,
      error: error.message,
      ...(withValue ? {} : { value_omitted_bytes: size }),
    },
    'event quarantined to events.invalid',
  );
  const headers: Record<string, string> = {
    'hookstream-error-code': error.code,
    'hookstream-error-reason': reason,
    'hookstream-error-message': error.message.slice(0, 1_000),
    'hookstream-source-topic': ctx.topic,
    'hookstream-source-partition': String(ctx.partition),
    'hookstream-source-offset': message.offset,
  };
  if (opts.eventId !== undefined) headers['hookstream-event-id'] = opts.eventId;
  if (!withValue) headers['hookstream-value-omitted'] = String(size);
  return { key: message.key, value: withValue ? message.value : null, headers };
}

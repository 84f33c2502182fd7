/**
 * Operational events: what hookstream tells upstream about itself, on `<prefix>.operational`.
 *
 * Each event has the domain-event envelope's shape (`event_id`, `event_type`, `environment`,
 * `created_at`, `data`), so upstream services consume it like any other topic. Schema:
 * `schemas/operational-event.schema.json`. This file holds the one constructor per event type; ids
 * and the clock are passed in.
 *
 * - `webhook.disabled` — `reason`: `gone_410` (the receiver answered 410 Gone), `persistent_failure`
 *   (every attempt failed for HOOKSTREAM_DISABLE_AFTER), `manual` (API or CLI);
 * - `webhook.enabled` — re-enabled through the API or CLI;
 * - `delivery.exhausted` — the retry budget is spent and the delivery was dead-lettered.
 *
 * Webhook URLs are left out on purpose: they may carry tokens, and the webhook id identifies them.
 */
import { createHash } from 'node:crypto';
import { base32 } from './ids.js';

export const OPERATIONAL_EVENT_TYPES = ['webhook.disabled', 'webhook.enabled', 'delivery.exhausted'] as const;
export type OperationalEventType = (typeof OPERATIONAL_EVENT_TYPES)[number];

export const DISABLE_REASONS = ['gone_410', 'persistent_failure', 'manual'] as const;
export type DisableReason = (typeof DISABLE_REASONS)[number];

interface Envelope<T extends OperationalEventType, D> {
  readonly event_id: string;
  readonly event_type: T;
  readonly environment: string;
  /** RFC 3339, UTC, milliseconds. */
  readonly created_at: string;
  readonly data: D;
}

export interface WebhookDisabledData {
  readonly webhook_id: string;
  readonly reason: DisableReason;
  readonly disabled_at: string;
  /** `persistent_failure` only: when the failing streak began, and how many attempts failed in it. */
  readonly failing_since: string | null;
  readonly failed_attempts: number | null;
}

export interface WebhookEnabledData {
  readonly webhook_id: string;
  readonly enabled_at: string;
}

/** The last attempt's outcome (short error text, never a secret or a response body). */
export interface LastError {
  readonly outcome: string;
  readonly status_code: number | null;
  readonly error: string | null;
  readonly at: string;
}

export interface DeliveryExhaustedData {
  readonly delivery_id: string;
  readonly webhook_id: string;
  /** The domain event that could not be delivered. */
  readonly event_id: string;
  readonly event_type: string;
  readonly attempts: number;
  /** Why it was dead-lettered, e.g. `budget_exhausted`. */
  readonly failure_reason: string;
  readonly last_error: LastError | null;
}

export type WebhookDisabledEvent = Envelope<'webhook.disabled', WebhookDisabledData>;
export type WebhookEnabledEvent = Envelope<'webhook.enabled', WebhookEnabledData>;
export type DeliveryExhaustedEvent = Envelope<'delivery.exhausted', DeliveryExhaustedData>;
export type OperationalEvent = WebhookDisabledEvent | WebhookEnabledEvent | DeliveryExhaustedEvent;

const iso = (d: Date): string => d.toISOString();
/** Longest `last_error.error` carried, characters (longer texts are cut). */
export const MAX_ERROR_LENGTH = 1000;

export function webhookDisabled(input: {
  readonly eventId: string;
  readonly now: Date;
  readonly environment: string;
  readonly webhookId: string;
  readonly reason: DisableReason;
  readonly failingSince?: Date | null;
  readonly failedAttempts?: number | null;
}): WebhookDisabledEvent {
  return {
    event_id: input.eventId,
    event_type: 'webhook.disabled',
    environment: input.environment,
    created_at: iso(input.now),
    data: {
      webhook_id: input.webhookId,
      reason: input.reason,
      disabled_at: iso(input.now),
      failing_since: input.failingSince ? iso(input.failingSince) : null,
      failed_attempts: input.failedAttempts ?? null,
    },
  };
}

export function webhookEnabled(input: {
  readonly eventId: string;
  readonly now: Date;
  readonly environment: string;
  readonly webhookId: string;
}): WebhookEnabledEvent {
  return {
    event_id: input.eventId,
    event_type: 'webhook.enabled',
    environment: input.environment,
    created_at: iso(input.now),
    data: { webhook_id: input.webhookId, enabled_at: iso(input.now) },
  };
}

export function deliveryExhausted(input: {
  readonly eventId: string;
  readonly now: Date;
  readonly environment: string;
  readonly deliveryId: string;
  readonly webhookId: string;
  readonly domainEventId: string;
  readonly eventType: string;
  readonly attempts: number;
  readonly failureReason: string;
  readonly lastError: {
    readonly outcome: string;
    readonly status_code: number | null;
    readonly error: string | null;
    readonly at: Date;
  } | null;
}): DeliveryExhaustedEvent {
  const last = input.lastError;
  return {
    event_id: input.eventId,
    event_type: 'delivery.exhausted',
    environment: input.environment,
    created_at: iso(input.now),
    data: {
      delivery_id: input.deliveryId,
      webhook_id: input.webhookId,
      event_id: input.domainEventId,
      event_type: input.eventType,
      attempts: input.attempts,
      failure_reason: input.failureReason,
      last_error: last && {
        outcome: last.outcome,
        status_code: last.status_code,
        error: last.error === null ? null : last.error.slice(0, MAX_ERROR_LENGTH),
        at: iso(last.at),
      },
    },
  };
}

/**
 * A stable `event_id` for the `delivery.exhausted` of one dead-lettering: `opx_` + base32 of
 * SHA-256(delivery id NUL final attempt number), first 16 bytes. A sender that crashes after
 * producing it and produces it again gives the same id, so consumers dedupe on `event_id`.
 */
export function exhaustedEventId(deliveryId: string, finalAttempt: number): string {
  const digest = createHash('sha256').update(deliveryId).update('\0').update(String(finalAttempt)).digest();
  return `opx_${base32(digest.subarray(0, 16))}`;
}

/** The operational reason for a webhook document's `disabled_reason` (`gone` is stored for a 410). */
export function disableReasonOf(storedReason: string | null): DisableReason {
  if (storedReason === 'gone' || storedReason === 'gone_410') return 'gone_410';
  if (storedReason === 'persistent_failure') return 'persistent_failure';
  return 'manual';
}

/** The Kafka record of an event: keyed by webhook id, so one webhook's events stay in order. */
export function operationalRecord(event: OperationalEvent): { key: string; value: string } {
  return { key: event.data.webhook_id, value: JSON.stringify(event) };
}

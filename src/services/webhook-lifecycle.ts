/**
 * Enabling and disabling a webhook by hand (API `PATCH … {enabled}`, CLI `webhooks enable|disable`):
 * the fields to `$set`, and the operational event that tells upstream.
 *
 * - Re-enabling sets `healthResetFields(now)`: the failure clock of auto-disable starts again, and
 *   outcomes from before it no longer count. It publishes `webhook.enabled`.
 * - Disabling sets `disabled_reason: manual` and `disabledAtFields(now)`, and publishes
 *   `webhook.disabled` with reason `manual`.
 * Only a change publishes (enabling an enabled webhook sets nothing and tells nobody).
 *
 * The change is stored first; the event follows, waiting at most `OPERATIONAL_TIMEOUT_MS`. An event
 * that cannot be published is logged with its id and the request still succeeds: the webhook's
 * state in MongoDB is the truth, the event a notification of it.
 */
import { HookstreamError } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { type OperationalEvent, webhookDisabled, webhookEnabled } from '../core/operational.js';
import { disabledAtFields, healthResetFields } from '../mongo/webhook-health.js';
import type { WebhookDoc } from '../mongo/webhooks.js';
import type { ServiceContext } from './context.js';
import { withDeadline } from './deadline.js';

/** Longest a request waits for Kafka to acknowledge its operational event, milliseconds (5 s, as enqueue). */
export const OPERATIONAL_TIMEOUT_MS = 5_000;

export type EnabledChange = 'enabled' | 'disabled';

/** The fields that turn `current` into `enabled` (empty when it already is), and the change made. */
export function enabledFields(
  current: Pick<WebhookDoc, 'enabled'>,
  enabled: boolean | undefined,
  now: Date,
): { fields: Partial<WebhookDoc>; change: EnabledChange | null } {
  if (enabled === true && !current.enabled) {
    return { fields: { enabled: true, disabled_reason: null, ...healthResetFields(now) }, change: 'enabled' };
  }
  if (enabled === false && current.enabled) {
    return {
      fields: { enabled: false, disabled_reason: 'manual', ...disabledAtFields(now) },
      change: 'disabled',
    };
  }
  return { fields: {}, change: null };
}

/** Publishes the event of a stored change; logs (never throws) when Kafka does not acknowledge. */
export async function announceEnabledChange(
  ctx: ServiceContext,
  doc: Pick<WebhookDoc, '_id' | 'environment'>,
  change: EnabledChange | null,
  now: Date,
): Promise<void> {
  if (change === null || ctx.publishOperational === undefined) return;
  const common = {
    eventId: newId('opx', ctx.randomBytes(16)),
    now,
    environment: doc.environment,
    webhookId: doc._id,
  };
  const event: OperationalEvent =
    change === 'enabled' ? webhookEnabled(common) : webhookDisabled({ ...common, reason: 'manual' });
  try {
    await withDeadline(
      ctx.publishOperational([event]),
      OPERATIONAL_TIMEOUT_MS,
      () =>
        new HookstreamError(
          'STORE_UNAVAILABLE',
          `Kafka did not acknowledge within ${OPERATIONAL_TIMEOUT_MS / 1000} s`,
        ),
    );
  } catch (err) {
    ctx.logger.error(
      { err, webhook_id: doc._id, environment: doc.environment, event_id: event.event_id },
      `webhook ${change}, but its ${event.event_type} event was not published`,
    );
  }
}

/** The event taxonomy and the subscription patterns a webhook may register. */

export const EVENT_TYPES = [
  'vendor.created',
  'vendor.status_changed',
  'assessment.started',
  'assessment.completed',
  'assessment.approved',
  'evaluation.flagged',
  'evidence.requested',
  'evidence.received',
  'contract.renewal_due',
  'contract.analyzed',
  'workflow.checkpoint',
  /** Sent by `POST …/webhooks/{id}/test`. */
  'webhook.test',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

/** The part before the dot of every event type, in taxonomy order: `vendor`, `assessment`, … */
export const EVENT_FAMILIES: readonly string[] = [
  ...new Set(EVENT_TYPES.map((t) => t.slice(0, t.indexOf('.')))),
];

const EVENT_TYPE_SET: ReadonlySet<string> = new Set(EVENT_TYPES);
const FAMILY_SET: ReadonlySet<string> = new Set(EVENT_FAMILIES);

export function isEventType(value: unknown): value is EventType {
  return typeof value === 'string' && EVENT_TYPE_SET.has(value);
}

/**
 * What a webhook may subscribe to: an exact event type (`vendor.created`), a family of the
 * taxonomy (`vendor.*`), or everything (`*`).
 */
export function isValidSubscription(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  if (value === '*' || EVENT_TYPE_SET.has(value)) return true;
  return value.endsWith('.*') && FAMILY_SET.has(value.slice(0, -2));
}

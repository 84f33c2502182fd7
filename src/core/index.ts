/** The pure core: no I/O, no clock, no randomness — time and random bytes are parameters. */

export {
  DURATION_UNITS_MS,
  type DurationUnit,
  formatDuration,
  type ParsedDuration,
  parseDuration,
  parseDurationWithName,
} from './duration.js';
export {
  DEFAULT_MAX_EVENT_BYTES,
  ENVIRONMENT_RE,
  type Envelope,
  EVENT_ID_MAX_LENGTH,
  EVENT_ID_RE,
  type JsonObject,
  type JsonValue,
  MAX_DATA_DEPTH,
  type ParseEnvelopeOptions,
  parseEnvelope,
  serializeEnvelope,
  type ValidateEnvelopeOptions,
  validateEnvelope,
  WORKFLOW_RUN_ID_MAX_LENGTH,
} from './envelope.js';
export {
  ERROR_CODES,
  type ErrorCode,
  HookstreamError,
  type HookstreamErrorOptions,
  isHookstreamError,
} from './errors.js';
export {
  EVENT_FAMILIES,
  EVENT_TYPES,
  type EventType,
  isEventType,
  isValidSubscription,
} from './event-types.js';
export {
  base32,
  DELIVERY_ID_RE,
  deliveryId,
  MIN_RANDOM_BYTES,
  newId,
} from './ids.js';
export { type DeliveryJob, decodeJob, encodeJob } from './job.js';
export { type MatchableWebhook, WebhookIndex } from './matching.js';
export { parseHttpDate, parseRetryAfter } from './retry-after.js';
export {
  createRetryPolicy,
  DEFAULT_RETRY_BUDGET,
  DEFAULT_RETRY_TIERS,
  type FailedAttempt,
  type NextAttempt,
  nextAttempt,
  parseRetryPolicy,
  parseTiers,
  type RetryPolicy,
  type Tier,
} from './retry-policy.js';
export { normalizeRfc3339, parseRfc3339 } from './rfc3339.js';
export {
  DEFAULT_TOLERANCE_SEC,
  type SignableBody,
  type StandardWebhooksHeaders,
  sign,
  signatureHeader,
  standardWebhooksHeaders,
  type VerifyOptions,
  type VerifyStandardWebhookOptions,
  verify,
  verifyStandardWebhook,
} from './signing.js';

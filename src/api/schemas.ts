/**
 * JSON Schemas of every body, parameter, query and response of the admin API. Fastify validates
 * requests and serializes responses with them (a response holds only the declared fields), and
 * `/openapi.json` is generated from them.
 */
import { ENVIRONMENT_RE } from '../core/envelope.js';
import { EVENT_FAMILIES, EVENT_TYPES, isValidSubscription } from '../core/event-types.js';
import { SAFE_TEXT_PATTERN } from '../security/text.js';
import { DELIVERY_STATUSES } from '../services/deliveries.js';
import { DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT } from '../services/pagination.js';
import { DEFAULT_REPLAY_LIMIT, MAX_REPLAY_LIMIT } from '../services/replay.js';
import { MAX_OVERLAP_MS } from '../services/rotate-secret.js';
import { MAX_DESCRIPTION_LENGTH, MAX_EVENT_TYPES } from '../services/webhooks.js';

/** Every subscription a webhook may name: `*`, each family (`vendor.*`), each event type. */
export const SUBSCRIPTIONS: readonly string[] = [
  '*',
  ...EVENT_FAMILIES.map((f) => `${f}.*`),
  ...EVENT_TYPES,
].filter((s) => isValidSubscription(s));

const dateTime = { type: 'string', format: 'date-time' } as const;
const nullableDateTime = { type: ['string', 'null'], format: 'date-time' } as const;
const nullableString = { type: ['string', 'null'] } as const;

export const environmentParam = {
  type: 'string',
  pattern: ENVIRONMENT_RE.source,
  description: "Environment: 1-63 lowercase letters, digits or '-'.",
} as const;

const idParam = { type: 'string', minLength: 1, maxLength: 200 } as const;

export const envParams = {
  type: 'object',
  additionalProperties: false,
  required: ['env'],
  properties: { env: environmentParam },
} as const;

export const webhookParams = {
  type: 'object',
  additionalProperties: false,
  required: ['env', 'id'],
  properties: { env: environmentParam, id: { ...idParam, description: 'Webhook id (wh_…).' } },
} as const;

export const deliveryParams = {
  type: 'object',
  additionalProperties: false,
  required: ['env', 'delivery_id'],
  properties: { env: environmentParam, delivery_id: { ...idParam, description: 'Delivery id (dlv_…).' } },
} as const;

export const apiKeyParams = {
  type: 'object',
  additionalProperties: false,
  required: ['id'],
  properties: { id: { ...idParam, description: 'API key id (key_…).' } },
} as const;

const pageProperties = {
  cursor: { type: 'string', maxLength: 1000, description: 'next_cursor of the previous page.' },
  limit: {
    type: 'integer',
    minimum: 1,
    maximum: MAX_PAGE_LIMIT,
    default: DEFAULT_PAGE_LIMIT,
    description: `Page size, 1-${MAX_PAGE_LIMIT}.`,
  },
} as const;

export const pageQuery = { type: 'object', additionalProperties: false, properties: pageProperties } as const;

export const apiKeyListQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { ...pageProperties, environment: environmentParam },
} as const;

export const deliveryListQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ...pageProperties,
    status: { type: 'string', enum: DELIVERY_STATUSES },
    event_type: { type: 'string', minLength: 1, maxLength: 200 },
    since: { ...dateTime, description: 'Deliveries created at or after this time.' },
    until: { ...dateTime, description: 'Deliveries created before this time.' },
  },
} as const;

const subscription = { type: 'string', enum: SUBSCRIPTIONS } as const;
const url = {
  type: 'string',
  minLength: 1,
  maxLength: 2048,
  description:
    'https URL of the receiver (http only with HOOKSTREAM_ALLOW_HTTP=true); public addresses only.',
} as const;
const eventTypes = {
  type: 'array',
  minItems: 1,
  maxItems: MAX_EVENT_TYPES,
  uniqueItems: true,
  items: subscription,
  description: 'Event types, families (vendor.*) or * to receive.',
} as const;
const description = {
  ...nullableString,
  maxLength: MAX_DESCRIPTION_LENGTH,
  pattern: SAFE_TEXT_PATTERN,
  description: 'Free text: no control, bidirectional-control or line-separator characters.',
} as const;

/**
 * The delivery options (docs/options.md). Their contents are checked by the core parsers, whose
 * errors name the exact path; here only the outer type, so Ajv's coercion never turns `5` into
 * `"5"` inside them silently.
 */
const rateLimit = {
  type: ['integer', 'null'],
  minimum: 1,
  maximum: 10_000,
  description:
    'At most this many requests a second to this webhook, over first attempts and retries (docs/options.md#rate-limit). null or absent: unlimited.',
  examples: [5],
} as const;
const filter = {
  type: ['object', 'null'],
  additionalProperties: true,
  description:
    'Only events that match are delivered: dot-paths into data and workflow_run_id, equality, $in, $exists, $prefix, $gt/$lt, implicit AND, $or (docs/options.md#payload-filter). null: none.',
  examples: [{ 'data.status': { $in: ['suspended', 'terminated'] } }],
} as const;
const customHeaders = {
  type: ['object', 'null'],
  additionalProperties: true,
  maxProperties: 20,
  description:
    'Static headers sent on every attempt, name → value (docs/options.md#custom-headers). Not secret-grade: stored and shown like the URL. null on PATCH: none.',
  examples: [{ 'X-Tenant': 'acme' }],
} as const;
const deliveryOptions = { rate_limit_per_s: rateLimit, filter, headers: customHeaders } as const;

export const createWebhookBody = {
  type: 'object',
  additionalProperties: false,
  required: ['url', 'event_types'],
  properties: {
    url,
    event_types: eventTypes,
    description,
    enabled: { type: 'boolean', default: true },
    standard_webhooks: {
      type: 'boolean',
      default: false,
      description: 'Also send Standard Webhooks headers (webhook-id, webhook-timestamp, webhook-signature).',
    },
    ...deliveryOptions,
  },
} as const;

export const updateWebhookBody = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: {
    url,
    event_types: eventTypes,
    description,
    enabled: { type: 'boolean' },
    standard_webhooks: { type: 'boolean' },
    ...deliveryOptions,
  },
} as const;

export const rotateSecretBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    overlap_seconds: {
      type: 'integer',
      minimum: 0,
      maximum: MAX_OVERLAP_MS / 1000,
      description:
        'How long the previous secret keeps signing. Default HOOKSTREAM_SECRET_OVERLAP (24 h); 0 ends it now.',
    },
  },
} as const;

export const testSendBody = {
  type: 'object',
  additionalProperties: false,
  properties: { message: { type: 'string', minLength: 1, maxLength: 1000, pattern: SAFE_TEXT_PATTERN } },
} as const;

export const replayBody = {
  type: 'object',
  additionalProperties: false,
  required: ['since'],
  properties: {
    since: { ...dateTime, description: 'Replay deliveries that failed at or after this time.' },
    until: { ...dateTime, description: '…and before this time (default: now).' },
    limit: { type: 'integer', minimum: 1, maximum: MAX_REPLAY_LIMIT, default: DEFAULT_REPLAY_LIMIT },
  },
} as const;

export const createApiKeyBody = {
  type: 'object',
  additionalProperties: false,
  required: ['environment'],
  properties: { environment: environmentParam, description },
} as const;

const webhookProperties = {
  id: { type: 'string' },
  environment: { type: 'string' },
  url: { type: 'string' },
  event_types: { type: 'array', items: { type: 'string' } },
  description: nullableString,
  enabled: { type: 'boolean' },
  disabled_reason: {
    ...nullableString,
    description:
      'manual, gone (the receiver answered 410), persistent_failure (every attempt failed for HOOKSTREAM_DISABLE_AFTER); null while enabled.',
  },
  standard_webhooks: { type: 'boolean' },
  created_at: dateTime,
  updated_at: dateTime,
  secret_rotated_until: {
    ...nullableDateTime,
    description: 'While a rotated-out secret still signs deliveries: until when.',
  },
  failing_since: {
    ...nullableDateTime,
    description:
      'First failure of the current all-failing streak (auto-disable counts from here); null when the last attempt succeeded or since re-enabling.',
  },
  disabled_at: { ...nullableDateTime, description: 'When it was disabled; null while enabled.' },
  rate_limit_per_s: { type: ['integer', 'null'], description: rateLimit.description },
  filter: { type: ['object', 'null'], additionalProperties: true, description: filter.description },
  headers: {
    type: 'object',
    additionalProperties: { type: 'string' },
    description: 'Custom headers sent on every attempt ({} when none).',
  },
} as const;

export const webhookResponse = {
  type: 'object',
  required: Object.keys(webhookProperties),
  properties: webhookProperties,
} as const;

export const webhookWithSecretResponse = {
  type: 'object',
  required: [...Object.keys(webhookProperties), 'secret'],
  properties: {
    ...webhookProperties,
    secret: { type: 'string', description: 'The signing secret (whsec_…). Shown only now.' },
  },
} as const;

export function pageOf(item: object) {
  return {
    type: 'object',
    required: ['data', 'next_cursor'],
    properties: {
      data: { type: 'array', items: item },
      next_cursor: {
        ...nullableString,
        description: 'Pass as cursor for the next page; null on the last page.',
      },
    },
  } as const;
}

const attempt = {
  type: 'object',
  required: ['attempt', 'at', 'tier', 'outcome', 'status_code', 'latency_ms', 'error'],
  properties: {
    attempt: { type: 'integer' },
    at: dateTime,
    tier: { type: 'string', description: 'deliveries (first attempt) or the retry tier (1m, …).' },
    outcome: { type: 'string', description: 'success, http_4xx, http_5xx, timeout, …' },
    status_code: { type: ['integer', 'null'] },
    latency_ms: { type: 'number' },
    error: nullableString,
  },
} as const;

const deliveryProperties = {
  id: { type: 'string' },
  webhook_id: { type: 'string' },
  environment: { type: 'string' },
  event_id: { type: 'string' },
  event_type: { type: 'string' },
  status: { type: 'string', enum: DELIVERY_STATUSES },
  attempt_count: { type: 'integer' },
  next_attempt_at: nullableDateTime,
  failure_reason: nullableString,
  event_created_at: dateTime,
  created_at: dateTime,
  updated_at: dateTime,
  attempts: { type: 'array', items: attempt },
  options_applied: {
    type: ['object', 'null'],
    description: 'Which delivery options applied to the latest attempt (docs/options.md).',
    properties: {
      filter: { type: 'boolean', description: 'The payload filter let the event through.' },
      headers: { type: 'array', items: { type: 'string' }, description: 'Names of the custom headers sent.' },
      rate_limit_per_s: { type: ['integer', 'null'] },
    },
  },
  throttled_ms: {
    type: 'integer',
    description: 'Waited for the rate limit after the first attempt, ms (not counted against the budget).',
  },
} as const;

export const deliveryResponse = {
  type: 'object',
  required: Object.keys(deliveryProperties),
  properties: deliveryProperties,
} as const;

export const deliveryDetailResponse = {
  type: 'object',
  required: [...Object.keys(deliveryProperties), 'body'],
  properties: {
    ...deliveryProperties,
    body: { ...nullableString, description: 'The exact JSON body that is POSTed and signed.' },
  },
} as const;

export const retryResponse = {
  type: 'object',
  required: ['delivery_id', 'event_id', 'attempt'],
  properties: {
    delivery_id: { type: 'string' },
    event_id: { type: 'string' },
    attempt: { type: 'integer', description: 'The attempt number the queued job will make.' },
  },
} as const;

export const replayResponse = {
  type: 'object',
  required: ['queued'],
  properties: { queued: { type: 'integer', description: 'How many deliveries were queued.' } },
} as const;

export const testSendResponse = {
  type: 'object',
  required: ['event_id', 'delivery_id'],
  properties: { event_id: { type: 'string' }, delivery_id: { type: 'string' } },
} as const;

const apiKeyProperties = {
  id: { type: 'string' },
  environment: { type: 'string' },
  description: nullableString,
  key_prefix: { type: 'string' },
  created_at: dateTime,
  revoked_at: nullableDateTime,
} as const;

export const apiKeyResponse = {
  type: 'object',
  required: Object.keys(apiKeyProperties),
  properties: apiKeyProperties,
} as const;

export const apiKeyWithSecretResponse = {
  type: 'object',
  required: [...Object.keys(apiKeyProperties), 'key'],
  properties: { ...apiKeyProperties, key: { type: 'string', description: 'The API key. Shown only now.' } },
} as const;

export const eventTypesResponse = {
  type: 'object',
  required: ['data', 'subscriptions'],
  properties: {
    data: { type: 'array', items: { type: 'string' }, description: 'The event taxonomy.' },
    subscriptions: {
      type: 'array',
      items: { type: 'string' },
      description: 'Everything a webhook may subscribe to: event types, families and *.',
    },
  },
} as const;

export const statusResponse = {
  type: 'object',
  required: ['status'],
  properties: { status: { type: 'string' } },
} as const;

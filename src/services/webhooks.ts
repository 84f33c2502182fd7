/**
 * Webhooks per environment: create, list, read, update, delete, rotate the secret.
 *
 * Secrets are `whsec_` + base64 of 32 CSPRNG bytes (also a valid Standard Webhooks secret), stored
 * only as AES-256-GCM ciphertext, and returned only by `createWebhook` and `rotateSecret`. Views
 * never carry the stored secrets.
 */
import { ENVIRONMENT_RE } from '../core/envelope.js';
import { HookstreamError } from '../core/errors.js';
import { isValidSubscription } from '../core/event-types.js';
import { newId } from '../core/ids.js';
import { mapMongoError } from '../mongo/errors.js';
import {
  findWebhook,
  insertWebhook,
  listWebhooks as listWebhookDocs,
  nextUpdatedAt,
  softDeleteWebhook,
  updateWebhookIfUnchanged,
} from '../mongo/webhook-admin.js';
import { type WebhookHealthView, webhookHealthView } from '../mongo/webhook-health.js';
import { type WebhookDoc, webhooksCollection } from '../mongo/webhooks.js';
import { encryptSecret, upgradeSecret } from '../security/secret-box.js';
import { checkText } from '../security/text.js';
import { requireSecretKey, type ServiceContext } from './context.js';
import { decodeCursor, type Page, type PageRequest, pageLimit, toPage } from './pagination.js';
import { checkWebhookUrl, type RefusalLog } from './targets.js';
import { announceEnabledChange, type EnabledChange, enabledFields } from './webhook-lifecycle.js';
import {
  NO_OPTIONS,
  parseWebhookOptions,
  type WebhookOptionsInput,
  type WebhookOptionsView,
  webhookOptionsView,
} from './webhook-options.js';

/** Random bytes in a secret (256 bits). */
export const SECRET_BYTES = 32;
export const SECRET_PREFIX = 'whsec_';
export const MAX_EVENT_TYPES = 50;
export const MAX_DESCRIPTION_LENGTH = 500;
/** Webhooks one environment may have unless HOOKSTREAM_MAX_WEBHOOKS_PER_ENVIRONMENT says otherwise. */
export const DEFAULT_MAX_WEBHOOKS_PER_ENVIRONMENT = 200;
/** Attempts at a read-modify-write before answering CONFLICT. */
const UPDATE_ATTEMPTS = 3;

/** `failing_since`, `disabled_reason`, `disabled_at`: the lifecycle state (`webhookHealthView`). */
export interface WebhookView extends WebhookHealthView, WebhookOptionsView {
  readonly id: string;
  readonly environment: string;
  readonly url: string;
  readonly event_types: readonly string[];
  readonly description: string | null;
  readonly enabled: boolean;
  readonly disabled_reason: string | null;
  readonly standard_webhooks: boolean;
  readonly created_at: string;
  readonly updated_at: string;
  /** While a rotated-out secret still signs: until when (RFC 3339); otherwise null. */
  readonly secret_rotated_until: string | null;
}

export interface WebhookWithSecret extends WebhookView {
  /** The plaintext secret, shown only here. */
  readonly secret: string;
}

export interface CreateWebhookInput extends WebhookOptionsInput {
  readonly url: string;
  readonly event_types: readonly string[];
  readonly description?: string | null | undefined;
  readonly enabled?: boolean | undefined;
  readonly standard_webhooks?: boolean | undefined;
}

export interface UpdateWebhookInput extends WebhookOptionsInput {
  readonly url?: string | undefined;
  readonly event_types?: readonly string[] | undefined;
  readonly description?: string | null | undefined;
  readonly enabled?: boolean | undefined;
  readonly standard_webhooks?: boolean | undefined;
}

export function toWebhookView(doc: WebhookDoc, now: Date): WebhookView {
  let rotatedUntil: Date | null = null;
  for (const s of doc.secrets ?? []) {
    if (
      s.expires_at !== null &&
      s.expires_at > now &&
      (rotatedUntil === null || s.expires_at > rotatedUntil)
    ) {
      rotatedUntil = s.expires_at;
    }
  }
  return {
    id: doc._id,
    environment: doc.environment,
    url: doc.url,
    event_types: doc.event_types,
    description: doc.description ?? null,
    enabled: doc.enabled,
    standard_webhooks: doc.standard_webhooks === true,
    created_at: doc.created_at.toISOString(),
    updated_at: doc.updated_at.toISOString(),
    secret_rotated_until: rotatedUntil?.toISOString() ?? null,
    ...webhookHealthView(doc),
    ...webhookOptionsView(doc),
  };
}

export function validation(field: string, message: string): HookstreamError {
  return new HookstreamError('VALIDATION_FAILED', `${field}: ${message}`, { details: { field } });
}

export function checkEnvironment(environment: string): string {
  if (!ENVIRONMENT_RE.test(environment)) {
    throw validation('environment', "must be 1-63 lowercase letters, digits or '-', not starting with '-'");
  }
  return environment;
}

/** Validates subscriptions against the taxonomy; returns them without duplicates, in order. */
export function checkEventTypes(types: readonly string[]): string[] {
  if (types.length === 0) throw validation('event_types', 'must name at least one event type');
  if (types.length > MAX_EVENT_TYPES) throw validation('event_types', `must name at most ${MAX_EVENT_TYPES}`);
  types.forEach((t, i) => {
    if (!isValidSubscription(t)) {
      throw validation(
        `event_types[${i}]`,
        `"${String(t).slice(0, 100)}" is not an event type of the taxonomy, a family (vendor.*) or *`,
      );
    }
  });
  return [...new Set(types)];
}

function checkDescription(description: string | null | undefined): string | null {
  if (description === undefined || description === null) return null;
  if (description.length > MAX_DESCRIPTION_LENGTH) {
    throw validation('description', `must be at most ${MAX_DESCRIPTION_LENGTH} characters`);
  }
  return checkText('description', description);
}

export function newSecret(ctx: ServiceContext): string {
  return SECRET_PREFIX + ctx.randomBytes(SECRET_BYTES).toString('base64');
}

/** Where a refused target's reason goes: the server log, with the environment. */
function refusalLog(ctx: ServiceContext, environment: string): RefusalLog {
  return (detail) => ctx.logger.info({ environment, ...detail }, 'webhook target refused');
}

function notFound(id: string): HookstreamError {
  return new HookstreamError('NOT_FOUND', `webhook ${id} not found`, { details: { field: 'id' } });
}

export async function createWebhook(
  ctx: ServiceContext,
  environment: string,
  input: CreateWebhookInput,
): Promise<WebhookWithSecret> {
  checkEnvironment(environment);
  const key = requireSecretKey(ctx.config);
  const eventTypes = checkEventTypes(input.event_types);
  const description = checkDescription(input.description);
  const options = { ...NO_OPTIONS, ...parseWebhookOptions(input, ctx.config) };
  const url = await checkWebhookUrl(input.url, ctx.config, ctx.lookup, refusalLog(ctx, environment));
  await checkWebhookQuota(ctx, environment);
  const now = ctx.now();
  const secret = newSecret(ctx);
  const enabled = input.enabled ?? true;
  const id = newId('wh', ctx.randomBytes(16));
  const doc: WebhookDoc = {
    _id: id,
    environment,
    url,
    event_types: eventTypes,
    description,
    enabled,
    disabled_reason: enabled ? null : 'manual',
    standard_webhooks: input.standard_webhooks ?? false,
    secrets: [{ ciphertext: encryptSecret(key, secret, id), created_at: now, expires_at: null }],
    deleted: false,
    created_at: now,
    updated_at: now,
    ...options,
  };
  await insertWebhook(ctx.db, doc);
  ctx.logger.info({ webhook_id: doc._id, environment, event_types: eventTypes }, 'webhook created');
  return { ...toWebhookView(doc, now), secret };
}

/**
 * LIMIT_EXCEEDED when the environment already has its maximum of (undeleted) webhooks: a router
 * fans every event out to all of them. Concurrent creates may pass it by the number in flight.
 */
async function checkWebhookQuota(ctx: ServiceContext, environment: string): Promise<void> {
  const limit = ctx.config.maxWebhooksPerEnvironment ?? DEFAULT_MAX_WEBHOOKS_PER_ENVIRONMENT;
  let count: number;
  try {
    count = await webhooksCollection(ctx.db).countDocuments({ environment, deleted: { $ne: true } });
  } catch (err) {
    throw mapMongoError(err, `webhooks of ${environment}`);
  }
  if (count >= limit) {
    throw new HookstreamError(
      'LIMIT_EXCEEDED',
      `environment ${environment} already has ${count} webhooks, the most allowed (HOOKSTREAM_MAX_WEBHOOKS_PER_ENVIRONMENT=${limit}); delete one first`,
      { details: { field: 'environment', limit } },
    );
  }
}

export async function getWebhook(ctx: ServiceContext, environment: string, id: string): Promise<WebhookView> {
  return toWebhookView(await requireWebhook(ctx, environment, id), ctx.now());
}

/**
 * Rewrites secrets stored in an earlier format (no associated data) as the current one, without
 * touching `updated_at` (nothing a reader sees changes). Best effort: a webhook stays readable
 * when its secrets cannot be upgraded now.
 */
async function upgradeSecrets(ctx: ServiceContext, doc: WebhookDoc): Promise<WebhookDoc> {
  const key = ctx.config.secretKey;
  if (key === null || doc.secrets.every((s) => s.ciphertext.startsWith('v2.'))) return doc;
  try {
    const secrets = doc.secrets.map((s) => ({
      ...s,
      ciphertext: upgradeSecret(key, s.ciphertext, doc._id) ?? s.ciphertext,
    }));
    if (
      await updateWebhookIfUnchanged(ctx.db, doc.environment, doc._id, doc.updated_at, {
        secrets,
        updated_at: doc.updated_at,
      })
    ) {
      ctx.logger.info(
        { webhook_id: doc._id, environment: doc.environment },
        'webhook secrets re-encrypted (v2)',
      );
      return { ...doc, secrets };
    }
  } catch (err) {
    ctx.logger.warn(
      { webhook_id: doc._id, environment: doc.environment, err },
      'webhook secrets not re-encrypted',
    );
  }
  return doc;
}

/** The live webhook document (internal callers: replay, test sends), its secrets upgraded. */
export async function requireWebhook(
  ctx: ServiceContext,
  environment: string,
  id: string,
): Promise<WebhookDoc> {
  const doc = await findWebhook(ctx.db, environment, id);
  if (!doc) throw notFound(id);
  return upgradeSecrets(ctx, doc);
}

export async function listWebhooks(
  ctx: ServiceContext,
  environment: string,
  page: PageRequest = {},
): Promise<Page<WebhookView>> {
  const limit = pageLimit(page.limit);
  const after = decodeCursor(page.cursor);
  const rows = await listWebhookDocs(
    ctx.db,
    environment,
    after && { created_at: after.at, id: after.id },
    limit + 1,
  );
  const now = ctx.now();
  return toPage(
    rows,
    limit,
    (d) => ({ at: d.created_at, id: d._id }),
    (d) => toWebhookView(d, now),
  );
}

/**
 * Reads, changes and writes back under an optimistic-concurrency check; a few tries, then CONFLICT.
 * `change` returns the fields to set (without `updated_at`), or null for no change.
 */
export async function modifyWebhook(
  ctx: ServiceContext,
  environment: string,
  id: string,
  change: (doc: WebhookDoc, now: Date) => Partial<WebhookDoc> | null,
): Promise<WebhookDoc> {
  for (let i = 0; i < UPDATE_ATTEMPTS; i++) {
    const doc = await requireWebhook(ctx, environment, id);
    const now = ctx.now();
    const set = change(doc, now);
    if (set === null) return doc;
    const updated_at = nextUpdatedAt(doc.updated_at, now);
    if (await updateWebhookIfUnchanged(ctx.db, environment, id, doc.updated_at, { ...set, updated_at })) {
      return { ...doc, ...set, updated_at };
    }
  }
  throw new HookstreamError('CONFLICT', `webhook ${id} is being changed concurrently; try again`);
}

export async function updateWebhook(
  ctx: ServiceContext,
  environment: string,
  id: string,
  input: UpdateWebhookInput,
): Promise<WebhookView> {
  const set: Partial<WebhookDoc> = {};
  if (input.url !== undefined) {
    set.url = await checkWebhookUrl(input.url, ctx.config, ctx.lookup, refusalLog(ctx, environment));
  }
  if (input.event_types !== undefined) set.event_types = checkEventTypes(input.event_types);
  if (input.description !== undefined) set.description = checkDescription(input.description);
  if (input.standard_webhooks !== undefined) set.standard_webhooks = input.standard_webhooks;
  Object.assign(set, parseWebhookOptions(input, ctx.config));
  let change: EnabledChange | null = null;
  const doc = await modifyWebhook(ctx, environment, id, (current, now) => {
    const enabling = enabledFields(current, input.enabled, now);
    change = enabling.change;
    const fields: Partial<WebhookDoc> = { ...set, ...enabling.fields };
    return Object.keys(fields).length === 0 ? null : fields;
  });
  ctx.logger.info({ webhook_id: id, environment, fields: Object.keys(input) }, 'webhook updated');
  await announceEnabledChange(ctx, doc, change, doc.updated_at);
  return toWebhookView(doc, ctx.now());
}

export async function deleteWebhook(ctx: ServiceContext, environment: string, id: string): Promise<void> {
  if (!(await softDeleteWebhook(ctx.db, environment, id, ctx.now()))) throw notFound(id);
  ctx.logger.info({ webhook_id: id, environment }, 'webhook deleted');
}

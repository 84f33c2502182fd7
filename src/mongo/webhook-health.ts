/**
 * Endpoint health on the webhook document: `failing_since`, `failed_attempts`, `last_success_at`,
 * `health_reset_at`, and — once disabled — `disabled_reason`, `disabled_at`.
 *
 * `WebhookHealthWriter` takes every attempt's outcome in memory (`record`, no I/O) and writes at
 * most one update per webhook per flush (default every 5 s) per process: one read of all webhooks
 * with news, then one conditional update each. The update matches the health fields it read, so
 * two senders never overwrite each other's counts: the loser keeps its batch and tries again on the
 * next flush. A disable also requires `enabled: true`, so exactly one sender disables a webhook and
 * reports it (`flush` answers the webhooks it disabled, for `webhook.disabled` events).
 *
 * The decision itself is pure: `core/endpoint-health.ts`.
 */
import type { Collection, Db, Filter } from 'mongodb';
import {
  applyOutcomes,
  EMPTY_SUMMARY,
  type EndpointHealth,
  type HealthPolicy,
  type HealthSample,
  mergeSummaries,
  type OutcomeSummary,
  summarize,
} from '../core/endpoint-health.js';
import type { Logger } from '../observability/logger.js';
import type { AttemptOutcome } from './deliveries.js';
import { isDuplicateKey } from './errors.js';
import { nextUpdatedAt } from './webhook-admin.js';
import type { WebhookDoc } from './webhooks.js';

/** Fields this module adds to the webhook document (absent on documents written before it). */
export interface WebhookHealthFields {
  failing_since: Date | null;
  failed_attempts: number;
  last_success_at: Date | null;
  /** Set when the webhook is re-enabled: outcomes from before it no longer count. */
  health_reset_at: Date | null;
  /** When it was disabled (any reason); null while enabled. */
  disabled_at: Date | null;
}

export type WebhookWithHealth = WebhookDoc & Partial<WebhookHealthFields>;

/** How the admin API shows a webhook's lifecycle state (add to the webhook view). */
export interface WebhookHealthView {
  /** First failure of the current all-failing streak; null when the last attempt succeeded. */
  readonly failing_since: string | null;
  readonly disabled_reason: string | null;
  readonly disabled_at: string | null;
}

export const PERSISTENT_FAILURE = 'persistent_failure';
/** How often a writer flushes, milliseconds. @default 5_000 */
export const DEFAULT_HEALTH_FLUSH_MS = 5_000;

function healthCollection(db: Db): Collection<WebhookWithHealth> {
  return db.collection<WebhookWithHealth>('webhooks');
}

export function webhookHealthView(doc: WebhookWithHealth): WebhookHealthView {
  return {
    failing_since: doc.failing_since?.toISOString() ?? null,
    disabled_reason: doc.enabled ? null : (doc.disabled_reason ?? null),
    disabled_at: doc.enabled ? null : (doc.disabled_at?.toISOString() ?? null),
  };
}

/** What re-enabling a webhook must `$set` besides `enabled: true`: its failure clock starts again. */
export function healthResetFields(now: Date): Omit<WebhookHealthFields, 'last_success_at'> {
  return { failing_since: null, failed_attempts: 0, health_reset_at: now, disabled_at: null };
}

/** What disabling a webhook (manually, or on a 410) must `$set` besides `enabled` and `disabled_reason`. */
export function disabledAtFields(now: Date): Pick<WebhookHealthFields, 'disabled_at'> {
  return { disabled_at: now };
}

/**
 * Disables a webhook whose receiver answered 410 Gone (stored reason `gone`; `gone_410` in the
 * operational event). True when this call changed it: only that caller publishes `webhook.disabled`.
 */
export async function disableGone(db: Db, webhookId: string, now: Date): Promise<boolean> {
  // FerretDB does not apply the conditional update atomically: two 410s answered at once would both
  // "change" the webhook. The claim on its current version lets exactly one process report it.
  const current = await healthCollection(db).findOne(
    { _id: webhookId, enabled: true },
    { projection: { _id: 1, updated_at: 1 } },
  );
  if (current === null) return false;
  if (!(await claimDisable(db, current as WebhookWithHealth, now))) return false;
  const res = await healthCollection(db).updateOne(
    { _id: webhookId, enabled: true },
    { $set: { enabled: false, disabled_reason: 'gone', ...disabledAtFields(now), updated_at: now } },
  );
  return res.modifiedCount === 1;
}

/**
 * One document per (webhook, version) that a process is disabling: `_id` = `<webhook id>@<updated_at
 * ms>`. Inserting it is atomic on MongoDB and FerretDB alike; the retention sweeper removes claims
 * after a day (`created_at`).
 */
export const DISABLE_CLAIMS_COLLECTION = 'webhook_disable_claims';

/** True when this process won the right to disable this version of the webhook. */
async function claimDisable(db: Db, doc: WebhookWithHealth, now: Date): Promise<boolean> {
  try {
    await db
      .collection<{ _id: string; webhook_id: string; created_at: Date }>(DISABLE_CLAIMS_COLLECTION)
      .insertOne({ _id: `${doc._id}@${doc.updated_at.getTime()}`, webhook_id: doc._id, created_at: now });
    return true;
  } catch (err) {
    if (isDuplicateKey(err)) return false;
    throw err;
  }
}

/**
 * What one attempt says about the endpoint: a 2xx is a success, every other answer or transport
 * failure (timeouts, refused connections, TLS, a forbidden target…) a failure. `webhook_unavailable`
 * (hookstream could not read the webhook) says nothing about the endpoint and is left out.
 */
export function healthSample(outcome: AttemptOutcome, at: Date): HealthSample | null {
  if (outcome === 'webhook_unavailable') return null;
  return { ok: outcome === 'success', at };
}

export function storedHealth(doc: Partial<WebhookHealthFields>): EndpointHealth {
  return {
    failing_since: doc.failing_since ?? null,
    failed_attempts: doc.failed_attempts ?? 0,
    last_success_at: doc.last_success_at ?? null,
    reset_at: doc.health_reset_at ?? null,
  };
}

/** A webhook this process disabled for `persistent_failure`. */
export interface DisabledWebhook {
  readonly webhook_id: string;
  readonly environment: string;
  readonly disabled_at: Date;
  readonly failing_since: Date;
  readonly failed_attempts: number;
}

export interface WebhookHealthWriterOptions {
  readonly db: Db;
  readonly policy: HealthPolicy;
  readonly logger: Logger;
  /** @default DEFAULT_HEALTH_FLUSH_MS (5 s) */
  readonly flushEveryMs?: number;
  /** @default () => new Date() */
  readonly now?: () => Date;
  /** Called after each timed flush that disabled webhooks (emit `webhook.disabled` here). */
  readonly onDisabled?: (disabled: readonly DisabledWebhook[]) => Promise<void>;
}

export class WebhookHealthWriter {
  readonly #db: Db;
  readonly #policy: HealthPolicy;
  readonly #log: Logger;
  readonly #flushEveryMs: number;
  readonly #now: () => Date;
  readonly #onDisabled: ((disabled: readonly DisabledWebhook[]) => Promise<void>) | undefined;
  /** Outcomes not yet written, folded per webhook id. */
  #pending = new Map<string, OutcomeSummary>();
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<readonly DisabledWebhook[]> | undefined;
  #closing: Promise<void> | undefined;

  constructor(opts: WebhookHealthWriterOptions) {
    this.#db = opts.db;
    this.#policy = opts.policy;
    this.#log = opts.logger.child({ component: 'webhook-health' });
    this.#flushEveryMs = opts.flushEveryMs ?? DEFAULT_HEALTH_FLUSH_MS;
    this.#now = opts.now ?? (() => new Date());
    this.#onDisabled = opts.onDisabled;
  }

  /** The sender's observer seam: one attempt's outcome class and when it was made (memory only). */
  recordAttempt(webhookId: string, outcome: AttemptOutcome, at: Date): void {
    const sample = healthSample(outcome, at);
    if (sample !== null) this.record(webhookId, sample);
  }

  /** Takes one sample (memory only). */
  record(webhookId: string, sample: HealthSample): void {
    this.#pending.set(webhookId, summarize(this.#pending.get(webhookId) ?? EMPTY_SUMMARY, sample));
  }

  /** Webhooks with outcomes not yet written. */
  get pendingWebhooks(): number {
    return this.#pending.size;
  }

  /** Flushes every `flushEveryMs` until `close`. */
  start(): this {
    if (this.#timer === undefined && this.#closing === undefined) {
      this.#timer = setInterval(() => void this.#timedFlush(), this.#flushEveryMs);
      this.#timer.unref();
    }
    return this;
  }

  /**
   * Writes what is pending; answers the webhooks this call disabled. One flush at a time. A healthy
   * webhook's success newer than its stored `last_success_at` by less than the policy's resolution
   * stays pending, unless `all` (as `close` does).
   */
  async flush({ all = false }: { all?: boolean } = {}): Promise<readonly DisabledWebhook[]> {
    while (this.#flushing) await this.#flushing.catch(() => {});
    this.#flushing = this.#write(all);
    try {
      return await this.#flushing;
    } finally {
      this.#flushing = undefined;
    }
  }

  /** Idempotent: stops the timer and writes what is pending (reporting disables to `onDisabled`). */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      clearInterval(this.#timer);
      await this.#flushAndReport(true);
    })();
    return this.#closing;
  }

  async #timedFlush(): Promise<void> {
    if (this.#flushing === undefined) await this.#flushAndReport();
  }

  async #flushAndReport(all = false): Promise<void> {
    try {
      const disabled = await this.flush({ all });
      if (disabled.length > 0) await this.#onDisabled?.(disabled);
    } catch (err) {
      this.#log.error({ err }, 'reporting disabled webhooks failed');
    }
  }

  async #write(force: boolean): Promise<readonly DisabledWebhook[]> {
    if (this.#pending.size === 0) return [];
    const batch = this.#pending;
    this.#pending = new Map();
    const col = healthCollection(this.#db);
    let docs: WebhookWithHealth[];
    try {
      docs = await col.find({ _id: { $in: [...batch.keys()] } }, { projection: { secrets: 0 } }).toArray();
    } catch (err) {
      this.#putBack(batch);
      this.#log.warn(
        { err, webhooks: batch.size },
        'webhook health not written (MongoDB); kept for the next flush',
      );
      return [];
    }
    const disabled: DisabledWebhook[] = [];
    await Promise.all(
      docs.map(async (doc) => {
        const summary = batch.get(doc._id)!;
        try {
          const done = await this.#apply(col, doc, summary, force);
          if (done === 'conflict' || done === 'deferred') this.#putBack(new Map([[doc._id, summary]]));
          else if (done !== null) disabled.push(done);
        } catch (err) {
          this.#putBack(new Map([[doc._id, summary]]));
          this.#log.warn({ err, webhook_id: doc._id }, 'webhook health not written; kept for the next flush');
        }
      }),
    );
    return disabled;
  }

  /**
   * One conditional update; 'conflict' when another writer changed the health fields since the
   * read, 'deferred' when only a recent success is new (kept for a later flush unless `force`).
   */
  async #apply(
    col: Collection<WebhookWithHealth>,
    doc: WebhookWithHealth,
    summary: OutcomeSummary,
    force: boolean,
  ): Promise<DisabledWebhook | 'conflict' | 'deferred' | null> {
    // A disabled or deleted webhook gets no deliveries; late outcomes of it are dropped.
    if (!doc.enabled || doc.deleted) return null;
    const stored = storedHealth(doc);
    const policy = force ? { ...this.#policy, lastSuccessResolutionMs: 0 } : this.#policy;
    const decision = applyOutcomes(stored, summary, policy);
    if (decision.deferred) return 'deferred';
    if (!decision.changed && !decision.disable) return null;
    const filter: Filter<WebhookWithHealth> = {
      _id: doc._id,
      enabled: true,
      failing_since: doc.failing_since ?? null,
      failed_attempts: doc.failed_attempts ?? { $exists: false },
      last_success_at: doc.last_success_at ?? null,
      health_reset_at: doc.health_reset_at ?? null,
    };
    const { state } = decision;
    const set: Partial<WebhookWithHealth> = {
      failing_since: state.failing_since,
      failed_attempts: state.failed_attempts,
      last_success_at: state.last_success_at,
    };
    const now = this.#now();
    if (decision.disable) {
      // Routers and sender caches notice through updated_at.
      Object.assign(set, {
        enabled: false,
        disabled_reason: PERSISTENT_FAILURE,
        ...disabledAtFields(now),
        updated_at: nextUpdatedAt(doc.updated_at, now),
      });
    }
    if (decision.disable) {
      // FerretDB applies a conditional update as read-then-write, not atomically: the claim (a
      // unique _id per webhook version) is what makes exactly one process disable and report it.
      if (!(await claimDisable(this.#db, doc, now))) return null;
      filter.updated_at = doc.updated_at;
    }
    const res = await col.updateOne(filter, { $set: set });
    if (res.matchedCount === 0) return 'conflict';
    if (!decision.disable) return null;
    const result: DisabledWebhook = {
      webhook_id: doc._id,
      environment: doc.environment,
      disabled_at: now,
      failing_since: state.failing_since!,
      failed_attempts: state.failed_attempts,
    };
    this.#log.warn(
      { ...result, reason: PERSISTENT_FAILURE, disable_after_ms: this.#policy.disableAfterMs },
      'webhook disabled: every attempt failed for the whole window',
    );
    return result;
  }

  #putBack(batch: ReadonlyMap<string, OutcomeSummary>): void {
    for (const [id, summary] of batch) {
      const newer = this.#pending.get(id);
      this.#pending.set(id, newer ? mergeSummaries(summary, newer) : summary);
    }
  }
}

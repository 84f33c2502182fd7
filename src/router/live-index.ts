/**
 * The router's in-memory webhook index, kept fresh by polling MongoDB for `updated_at` changes
 * (FerretDB has no change streams). A change is visible within one poll interval. When MongoDB is
 * unreachable, routing continues from the last index and a warning is logged once per outage.
 */
import type { Db } from 'mongodb';
import { compileFilterTable, type FilterPredicate } from '../core/filter.js';
import { WebhookIndex } from '../core/matching.js';
import { type RoutableWebhook, webhooksChangedSince } from '../mongo/webhooks.js';
import type { Logger } from '../observability/logger.js';
import { metrics } from '../observability/metrics.js';

/** Re-read changes this far back on every poll, so writers with clocks this far behind are not missed. */
const CLOCK_SKEW_ALLOWANCE_MS = 30_000;

export class LiveWebhookIndex {
  readonly #db: Db;
  readonly #logger: Logger;
  readonly #intervalMs: number;
  readonly #webhooks = new Map<string, RoutableWebhook>();
  #index: WebhookIndex = WebhookIndex.EMPTY;
  /** Payload filters of the indexed webhooks that have one; rebuilt with the index. */
  #filters: ReadonlyMap<string, FilterPredicate> = new Map();
  #newest: Date | null = null;
  #timer: NodeJS.Timeout | null = null;
  #loaded = false;
  #failing = false;
  #closed = false;

  constructor(db: Db, logger: Logger, intervalMs: number) {
    this.#db = db;
    this.#logger = logger.child({ component: 'webhook-index' });
    this.#intervalMs = intervalMs;
  }

  get index(): WebhookIndex {
    return this.#index;
  }

  /** The compiled payload filters, webhook id → predicate (`applyFilters`); swapped with `index`. */
  get filters(): ReadonlyMap<string, FilterPredicate> {
    return this.#filters;
  }

  /** True once the first full load succeeded. */
  get loaded(): boolean {
    return this.#loaded;
  }

  /**
   * Loads every webhook, retrying until MongoDB answers or `signal` aborts, then polls for changes.
   */
  async start(signal: AbortSignal): Promise<void> {
    while (!this.#loaded && !signal.aborted) {
      await this.refresh();
      if (!this.#loaded) await new Promise((r) => setTimeout(r, 1_000));
    }
    this.#schedule();
  }

  #schedule(): void {
    if (this.#closed) return;
    this.#timer = setTimeout(async () => {
      await this.refresh();
      this.#schedule();
    }, this.#intervalMs);
    this.#timer.unref();
  }

  /** One poll; never throws. */
  async refresh(): Promise<void> {
    const since = this.#newest ? new Date(this.#newest.getTime() - CLOCK_SKEW_ALLOWANCE_MS) : null;
    let changed: RoutableWebhook[];
    try {
      changed = await webhooksChangedSince(this.#db, since);
    } catch (err) {
      metrics.webhookRefreshFailures.inc();
      if (!this.#failing) {
        this.#failing = true;
        this.#logger.warn(
          { err, webhooks: this.#webhooks.size },
          'cannot read webhooks from MongoDB; routing continues with the cached index',
        );
      }
      return;
    }
    if (this.#failing) {
      this.#failing = false;
      this.#logger.info('MongoDB reachable again; webhook index refreshing');
    }
    let dirty = !this.#loaded;
    for (const w of changed) {
      if (this.#newest === null || w.updated_at > this.#newest) this.#newest = w.updated_at;
      const known = this.#webhooks.get(w.id);
      if (known && known.updated_at.getTime() === w.updated_at.getTime()) continue;
      dirty = true;
      if (w.deleted) this.#webhooks.delete(w.id);
      else this.#webhooks.set(w.id, w);
    }
    if (dirty) {
      const webhooks = [...this.#webhooks.values()];
      const table = compileFilterTable(webhooks);
      for (const { id, error } of table.invalid) {
        this.#logger.error(
          { webhook_id: id, err: error },
          'stored payload filter does not parse; the webhook gets every event it subscribes to (fail open)',
        );
      }
      this.#index = new WebhookIndex(webhooks);
      this.#filters = table.filters;
      metrics.webhooksIndexed.set(this.#index.size);
      this.#logger.debug(
        { webhooks: this.#webhooks.size, enabled: this.#index.size },
        'webhook index rebuilt',
      );
    }
    this.#loaded = true;
  }

  close(): void {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
  }
}

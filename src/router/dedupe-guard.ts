/**
 * The router's use of the dedupe store, made safe for the hot path: every lookup and write is
 * bounded by a deadline (a slow store must never outlast the group session), no new query starts
 * while an earlier one is still running past its deadline (no pile-up), and a failure means "go on
 * without deduplication" — repeats may be delivered again, nothing is lost. Warnings are logged
 * once per outage.
 */
import type { EventDedupe } from '../mongo/dedupe.js';
import type { Logger } from '../observability/logger.js';

export class DedupeGuard {
  readonly #dedupe: EventDedupe;
  readonly #timeoutMs: number;
  readonly #log: Logger;
  /** Set while MongoDB refuses dedupe queries, so the warning is logged once per outage. */
  #failing = false;
  /** Operations past their deadline and still running. */
  #overdue = 0;

  /** `timeoutMs`: longest wait for one lookup or write, milliseconds. */
  constructor(dedupe: EventDedupe, timeoutMs: number, logger: Logger) {
    this.#dedupe = dedupe;
    this.#timeoutMs = timeoutMs;
    this.#log = logger;
  }

  /** The ids among `ids` routed within the window; none when the store cannot answer in time. */
  async seen(ids: readonly string[], nowMs: number): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    try {
      const seen = await this.#bounded(() => this.#dedupe.seen(ids, new Date(nowMs)));
      this.#recovered();
      return seen;
    } catch (err) {
      this.#failed(err, 'looking up');
      return new Set();
    }
  }

  /** Marks `ids` routed (their jobs are acknowledged); a failure only costs later duplicates. */
  async mark(ids: readonly string[], nowMs: number): Promise<void> {
    if (ids.length === 0) return;
    try {
      await this.#bounded(() => this.#dedupe.markRouted(ids, new Date(nowMs)));
      this.#recovered();
    } catch (err) {
      this.#failed(err, 'recording');
    }
  }

  #bounded<T>(operation: () => Promise<T>): Promise<T> {
    if (this.#overdue > 0) {
      return Promise.reject(new Error('earlier dedupe queries are still running past their deadline'));
    }
    const work = operation();
    return withDeadline(work, this.#timeoutMs, () => {
      this.#overdue++;
      const settled = () => {
        this.#overdue--;
      };
      work.then(settled, settled);
    });
  }

  #failed(err: unknown, what: string): void {
    if (this.#failing) return;
    this.#failing = true;
    this.#log.warn(
      { err },
      `${what} routed events in MongoDB failed; routing goes on without deduplication (repeats are delivered again)`,
    );
  }

  #recovered(): void {
    if (!this.#failing) return;
    this.#failing = false;
    this.#log.info('MongoDB reachable again; ingest deduplication resumed');
  }
}

/**
 * `work`, or a rejection once `ms` have passed; `onLate` is called then (the work itself goes on
 * and settles unobserved).
 */
function withDeadline<T>(work: Promise<T>, ms: number, onLate: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      onLate();
      reject(new Error(`MongoDB did not answer within ${ms} ms`));
    }, ms);
  });
  work.catch(() => {});
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

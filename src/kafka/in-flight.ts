/**
 * What bounds the jobs a consumer has in flight: a window of slots (attempts on the wire) with a
 * slow lane for attempts that hang, and a byte budget shared by every consumer of the process, so
 * memory is bounded in bytes whatever the job sizes. A job that does not fit waits; it is never
 * dropped.
 */

/**
 * A FIFO counting budget: `acquire(n)` waits until `n` units are free (waiters are served in
 * order, so a large request is not starved by small ones). A request larger than the whole budget
 * is granted when the budget is empty, so an outsized job still goes, alone.
 */
export class Budget {
  #used = 0;
  readonly #waiters: { units: number; grant: () => void }[] = [];

  /** @param limit units available (slots, or bytes). */
  constructor(readonly limit: number) {}

  get used(): number {
    return this.#used;
  }

  get waiting(): number {
    return this.#waiters.length;
  }

  #fits(units: number): boolean {
    return this.#used === 0 || this.#used + units <= this.limit;
  }

  /** Takes `units` now if they are free and nobody waits; never waits. */
  tryAcquire(units = 1): boolean {
    if (this.#waiters.length > 0 || !this.#fits(units)) return false;
    this.#used += units;
    return true;
  }

  /**
   * Waits for `units`, calling `whileWaiting` (the consumer heartbeat) every `tickMs` so a long
   * wait never costs the group membership. Rejects with the signal's reason when it aborts.
   */
  async acquire(
    units = 1,
    opts: { whileWaiting?: () => Promise<void>; signal?: AbortSignal; tickMs?: number } = {},
  ): Promise<void> {
    opts.signal?.throwIfAborted();
    if (this.tryAcquire(units)) return;
    let granted = false;
    const waiter = { units, grant: () => {} };
    const slot = new Promise<void>((resolve) => {
      waiter.grant = () => {
        granted = true;
        resolve();
      };
    });
    this.#waiters.push(waiter);
    try {
      while (!granted) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([slot, new Promise((r) => (timer = setTimeout(r, opts.tickMs ?? 1_000)))]);
        clearTimeout(timer);
        if (!granted && opts.signal?.aborted) throw opts.signal.reason;
        if (!granted && opts.whileWaiting) await opts.whileWaiting().catch(() => {});
      }
    } catch (err) {
      const i = this.#waiters.indexOf(waiter);
      if (i >= 0) this.#waiters.splice(i, 1);
      if (granted) this.release(units);
      this.#serve();
      throw err;
    }
  }

  release(units = 1): void {
    this.#used = Math.max(0, this.#used - units);
    this.#serve();
  }

  #serve(): void {
    while (this.#waiters.length > 0 && this.#fits(this.#waiters[0]!.units)) {
      const w = this.#waiters.shift()!;
      this.#used += w.units;
      w.grant();
    }
  }

  /** Resolves when nothing is used any more. */
  async idle(pollMs = 20): Promise<void> {
    while (this.#used > 0) await new Promise((r) => setTimeout(r, pollMs));
  }
}

/** Slow-lane slots per window slot by default. */
export const SLOW_LANE_FACTOR = 16;

export interface InFlightOptions {
  /** Attempts of this consumer on the wire for less than `slowAfterMs`. */
  readonly window: number;
  /**
   * Attempts that gave their window slot back after `slowAfterMs` (hanging receivers), at most;
   * when full, a slow attempt keeps its window slot. It must hold what hangs at full speed:
   * rate × hanging share × timeout — 2 080/s × 10 % × 10 s = 2 080 attempts on this machine,
   * which 8 × 256 (2 048) could not, so hanging attempts then ate the window. Each slow attempt
   * still holds its job's bytes in the shared byte budget, so memory stays bounded in bytes.
   * @default SLOW_LANE_FACTOR × window (16 × 256 = 4 096)
   */
  readonly slowWindow?: number;
  /** Milliseconds after which an unanswered attempt moves to the slow lane. @default 250 */
  readonly slowAfterMs?: number;
}

/** One admitted job: its bytes, and a slot in the window or the slow lane until `attempted()`. */
export interface Ticket {
  /** The attempt is over (its bookkeeping may go on): give the window slot back. Idempotent. */
  attempted(): void;
  /** Everything is over: give the bytes back too. Idempotent. */
  done(): void;
}

/** The in-flight bounds of one consumer: its own window and slow lane, the process's byte budget. */
export class InFlight {
  readonly #bytes: Budget;
  readonly #window: Budget;
  readonly #slow: Budget;
  readonly #slowAfterMs: number;

  constructor(bytes: Budget, opts: InFlightOptions) {
    this.#bytes = bytes;
    this.#window = new Budget(opts.window);
    this.#slow = new Budget(opts.slowWindow ?? SLOW_LANE_FACTOR * opts.window);
    this.#slowAfterMs = opts.slowAfterMs ?? 250;
  }

  /** Attempts holding a window or slow-lane slot. */
  get attempts(): number {
    return this.#window.used + this.#slow.used;
  }

  /** Waits for a window slot, then for `bytes` of the shared budget. */
  async admit(
    bytes: number,
    opts: { whileWaiting?: () => Promise<void>; signal?: AbortSignal } = {},
  ): Promise<Ticket> {
    await this.#window.acquire(1, opts);
    try {
      await this.#bytes.acquire(bytes, opts);
    } catch (err) {
      this.#window.release();
      throw err;
    }
    let lane: Budget | null = this.#window;
    let held = true;
    const timer = setTimeout(() => {
      if (lane !== this.#window || !this.#slow.tryAcquire()) return;
      lane = this.#slow;
      this.#window.release();
    }, this.#slowAfterMs);
    const attempted = () => {
      clearTimeout(timer);
      lane?.release();
      lane = null;
    };
    return {
      attempted,
      done: () => {
        attempted();
        if (held) this.#bytes.release(bytes);
        held = false;
      },
    };
  }

  /** Resolves when no attempt of this consumer holds a slot. */
  async idle(): Promise<void> {
    await Promise.all([this.#window.idle(), this.#slow.idle()]);
  }
}

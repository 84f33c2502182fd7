/**
 * Failed authentications per client address, in fixed windows: after `max` failures within
 * `windowMs`, that address gets 429 RATE_LIMITED (with Retry-After) until the window ends, before
 * any key is looked at. Memory is bounded: at most `maxTracked` addresses are remembered.
 *
 * The address is the TCP peer (Fastify's `request.ip`); behind a proxy every caller shares the
 * proxy's address, so one client's failures slow the others too.
 */
export interface AuthFailureLimit {
  /** Failed attempts allowed per address and window. @default 20 */
  readonly max: number;
  /** Window length, milliseconds. @default 60_000 */
  readonly windowMs: number;
  /** Addresses remembered at most; the oldest are forgotten first. @default 10_000 */
  readonly maxTracked: number;
}

export const DEFAULT_AUTH_FAILURE_LIMIT: AuthFailureLimit = { max: 20, windowMs: 60_000, maxTracked: 10_000 };

interface Window {
  failures: number;
  /** When the window ends, epoch milliseconds. */
  endsAt: number;
}

export class AuthFailureLimiter {
  readonly #limit: AuthFailureLimit;
  readonly #now: () => number;
  readonly #windows = new Map<string, Window>();

  constructor(limit: AuthFailureLimit, now: () => number) {
    this.#limit = limit;
    this.#now = now;
  }

  /** Seconds until `address` may try again; 0 when it may now. */
  retryAfterSec(address: string): number {
    const w = this.#windows.get(address);
    const now = this.#now();
    if (w === undefined || w.endsAt <= now || w.failures < this.#limit.max) return 0;
    return Math.ceil((w.endsAt - now) / 1000);
  }

  recordFailure(address: string): void {
    const now = this.#now();
    let w = this.#windows.get(address);
    if (w === undefined || w.endsAt <= now) {
      this.#windows.delete(address);
      w = { failures: 0, endsAt: now + this.#limit.windowMs };
      this.#windows.set(address, w);
      this.#evict(now);
    }
    w.failures += 1;
  }

  #evict(now: number): void {
    if (this.#windows.size <= this.#limit.maxTracked) return;
    for (const [address, w] of this.#windows) if (w.endsAt <= now) this.#windows.delete(address);
    // Still too many: forget the oldest windows (Map order is insertion order).
    for (const address of this.#windows.keys()) {
      if (this.#windows.size <= this.#limit.maxTracked) break;
      this.#windows.delete(address);
    }
  }
}

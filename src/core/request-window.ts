/**
 * The receiver-side half of a rate limit: spacing request starts (`pace`) bounds what leaves the
 * sender, but a request delayed after its start (a stalled event loop, a connection still opening)
 * can arrive right before the next one. This window makes the bound hold at the receiver: a
 * request may start only while fewer than `limit` requests are in flight or answered within the
 * last `1000 · (1 + PACE_MARGIN)` ms. Every arrival lies between its start and its answer, so no
 * one-second window at the receiver can hold `limit + 1` arrivals. Pure: the clock is a parameter.
 *
 * Cost: a request waits for an answer only when `limit` requests started within about a second
 * are still unanswered; throughput is about `limit / (1 s + latency)` at worst.
 */
import { PACE_MARGIN } from './rate-limit.js';

/** The window, ms. */
export const REQUEST_WINDOW_MS = 1000 * (1 + PACE_MARGIN);

export class RequestWindow {
  #inFlight = 0;
  /** Answer times of finished requests within the window, oldest first, epoch ms. */
  readonly #answered: number[] = [];

  get inFlight(): number {
    return this.#inFlight;
  }

  /**
   * Milliseconds until one more request may start under `limitPerS` at `nowMs`: 0 now,
   * `Infinity` until an in-flight request is answered.
   */
  waitMs(limitPerS: number, nowMs: number): number {
    const cutoff = nowMs - REQUEST_WINDOW_MS;
    while (this.#answered.length > 0 && this.#answered[0]! <= cutoff) this.#answered.shift();
    const over = this.#inFlight + this.#answered.length - limitPerS + 1;
    if (over <= 0) return 0;
    if (over > this.#answered.length) return Number.POSITIVE_INFINITY;
    return Math.max(1, Math.ceil(this.#answered[over - 1]! + REQUEST_WINDOW_MS - nowMs));
  }

  /** A request starts. */
  start(): void {
    this.#inFlight++;
  }

  /** A started request was answered (or gave up) at `nowMs`. */
  finish(nowMs: number): void {
    this.#inFlight = Math.max(0, this.#inFlight - 1);
    this.#answered.push(nowMs);
  }

  /** Nothing in flight and nothing answered within the window: the entry may be forgotten. */
  idle(nowMs: number): boolean {
    return this.waitMs(1, nowMs) === 0;
  }
}

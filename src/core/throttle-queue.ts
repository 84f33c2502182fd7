/**
 * The held jobs of one partition of the first-attempt topic: a FIFO per rate-limited webhook and
 * the pacer state of each (rate-limit.ts, docs/options.md "Waiting without blocking the
 * partition"). Pure bookkeeping with the clock passed in: the sender owns the timer (one per
 * partition, set to `wakeAtMs`), the produce of deferred jobs and the commit order.
 *
 * Memory: one pacer state per limited webhook seen on the partition (bounded by the webhooks of
 * its key range), plus the held jobs, whose bodies are capped by `HoldPolicy.maxHeldBytes`.
 */

import {
  CLOCK_RESOLUTION_MS,
  estimatedWaitMs,
  type HoldPolicy,
  type PaceState,
  pace,
  startPace,
  throttleStep,
} from './rate-limit.js';
import type { Tier } from './retry-policy.js';

export type Admission =
  /** Start it now (the pacer counted it). */
  | { readonly kind: 'go' }
  /** Held: it comes back from `take` when its turn comes. */
  | { readonly kind: 'hold' }
  /** Re-produce it unchanged (not an attempt) to this tier and commit it. */
  | { readonly kind: 'defer'; readonly tier: Tier };

export interface Released<J> {
  readonly job: J;
  /** How long it was held, ms: add to the job's `throttled_ms`. */
  readonly heldMs: number;
}

interface Held<J> {
  readonly job: J;
  readonly bytes: number;
  readonly sinceMs: number;
}

/**
 * Milliseconds a webhook's next request must wait besides its pacing (0: none; `Infinity`: until
 * told again), e.g. `RequestWindow.waitMs`.
 */
export type ThrottleGate = (webhookId: string, limitPerS: number, nowMs: number) => number;

export class ThrottleQueue<J> {
  readonly #policy: HoldPolicy;
  readonly #tiers: readonly Tier[];
  readonly #gate: ThrottleGate;
  readonly #pacers = new Map<string, PaceState>();
  readonly #held = new Map<string, Held<J>[]>();
  #heldBytes = 0;

  /** `gate` may hold a job whose pacing says go (the sender's `RequestWindow`). @default none */
  constructor(policy: HoldPolicy, tiers: readonly Tier[], gate: ThrottleGate = () => 0) {
    if (tiers.length === 0) throw new RangeError('at least one retry tier is required');
    this.#policy = policy;
    this.#tiers = tiers;
    this.#gate = gate;
  }

  /** Bytes of held job bodies. */
  get heldBytes(): number {
    return this.#heldBytes;
  }

  /** Number of held jobs. */
  get size(): number {
    let n = 0;
    for (const queue of this.#held.values()) n += queue.length;
    return n;
  }

  /**
   * A due job of a webhook limited to `limitPerS` arrives (in offset order). Jobs of a webhook
   * that already has held jobs queue behind them, so its jobs start in order.
   */
  admit(webhookId: string, job: J, bytes: number, limitPerS: number, nowMs: number): Admission {
    const state = this.#pacers.get(webhookId) ?? startPace(nowMs);
    const queue = this.#held.get(webhookId);
    if (queue === undefined) {
      const decision = pace(state, nowMs, limitPerS);
      if (decision.go && this.#gate(webhookId, limitPerS, nowMs) === 0) {
        this.#pacers.set(webhookId, decision.state);
        return { kind: 'go' };
      }
    }
    this.#pacers.set(webhookId, state);
    const waitMs = estimatedWaitMs(state, nowMs, limitPerS, queue?.length ?? 0);
    const step = throttleStep({ waitMs, bytes, heldBytes: this.#heldBytes }, this.#policy, this.#tiers);
    if (step.kind === 'defer') return step;
    const held = { job, bytes, sinceMs: nowMs };
    if (queue === undefined) this.#held.set(webhookId, [held]);
    else queue.push(held);
    this.#heldBytes += bytes;
    return { kind: 'hold' };
  }

  /**
   * The held jobs whose turn has come at `nowMs`, oldest first per webhook, and when to call again
   * (epoch ms; null when nothing is held). `limitOf` gives each webhook's current limit: null
   * (the limit was removed) releases all its jobs at once.
   */
  take(
    nowMs: number,
    limitOf: (webhookId: string) => number | null,
  ): { readonly ready: Released<J>[]; readonly wakeAtMs: number | null } {
    const ready: Released<J>[] = [];
    let wakeAtMs: number | null = null;
    for (const [webhookId, queue] of this.#held) {
      const limit = limitOf(webhookId);
      let state = this.#pacers.get(webhookId) ?? startPace(nowMs);
      while (queue.length > 0) {
        const decision = limit === null ? null : pace(state, nowMs, limit);
        if (decision !== null && !decision.go) {
          const at = nowMs + decision.waitMs;
          wakeAtMs = wakeAtMs === null ? at : Math.min(wakeAtMs, at);
          break;
        }
        const gated = limit === null ? 0 : this.#gate(webhookId, limit, nowMs);
        if (gated > 0) {
          // Infinity: the gate calls `take` again when it opens (an answer arrived).
          if (Number.isFinite(gated)) wakeAtMs = Math.min(wakeAtMs ?? Infinity, nowMs + gated);
          break;
        }
        if (decision !== null) state = decision.state;
        const held = queue.shift()!;
        this.#heldBytes -= held.bytes;
        ready.push({ job: held.job, heldMs: nowMs - held.sinceMs });
      }
      this.#pacers.set(webhookId, state);
      if (queue.length === 0) this.#held.delete(webhookId);
    }
    return { ready, wakeAtMs };
  }

  /**
   * A request of `webhookId` that `admit` or `take` let go actually started at `atMs` (just before
   * the POST). When that is later than its slot (the process stalled in between), the next slot
   * counts from the real start: a stall never lets the next request follow this one closer than
   * one interval.
   */
  started(webhookId: string, atMs: number): void {
    const state = this.#pacers.get(webhookId);
    if (state !== undefined && atMs - state.lastSlotMs >= CLOCK_RESOLUTION_MS)
      this.#pacers.set(webhookId, { lastSlotMs: atMs });
  }

  /**
   * Forgets everything (the partition was revoked): returns the held jobs, none of them started
   * or committed, so the new owner reads them again.
   */
  clear(): J[] {
    const dropped: J[] = [];
    for (const queue of this.#held.values()) for (const held of queue) dropped.push(held.job);
    this.#held.clear();
    this.#pacers.clear();
    this.#heldBytes = 0;
    return dropped;
  }
}

/**
 * Partitions paused until a time, each with its resume timer. A partition paused without a timer
 * (pause state survives a rebalance in kafkajs, timers do not) would stay paused for good:
 * `orphaned()` names them so the consumer can resume them after a rebalance.
 */
import type { Consumer } from 'kafkajs';
import { metrics } from '../observability/metrics.js';

/** How soon a refused resume is tried again, milliseconds. */
const RESUME_RETRY_MS = 1_000;

/**
 * Calls `resume` (a kafkajs `consumer.resume`) after `delayMs`. While kafkajs refuses it — it
 * throws while it restarts a consumer after a broker outage, and a throw from a timer would end the
 * process — it is tried again every second, at most `tries` times (a restarted consumer starts with
 * nothing paused anyway).
 */
export function resumeLater(resume: () => void, delayMs: number, tries = 60): void {
  setTimeout(() => {
    try {
      resume();
    } catch {
      if (tries > 1) resumeLater(resume, RESUME_RETRY_MS, tries - 1);
    }
  }, delayMs).unref();
}

export class PauseTimers {
  readonly #timers = new Map<number, NodeJS.Timeout>();
  #stopped = false;

  constructor(
    private readonly topic: string,
    /** Metric label (`deliveries`, a tier name). */
    private readonly label: string,
    private readonly consumer: () => Consumer | null,
    /** Epoch milliseconds. */
    private readonly clock: () => number,
  ) {}

  /** Pauses `partition` and resumes it at `atMs` (epoch milliseconds). */
  pauseUntil(partition: number, atMs: number): void {
    this.clear(partition);
    this.consumer()?.pause([{ topic: this.topic, partitions: [partition] }]);
    metrics.pausedPartitions.inc({ tier: this.label });
    this.#resumeAfter(partition, Math.max(0, atMs - this.clock()) + 1);
  }

  /**
   * Resumes `partition` after `delayMs`. kafkajs refuses `resume` while it restarts a consumer
   * (broker outage: "Consumer group was not initialized"), throwing from inside the timer, which
   * would end the process: then it is tried again every second, the partition still counted paused.
   */
  #resumeAfter(partition: number, delayMs: number): void {
    const timer = setTimeout(() => {
      if (this.#stopped) return;
      try {
        this.consumer()?.resume([{ topic: this.topic, partitions: [partition] }]);
      } catch {
        this.#resumeAfter(partition, RESUME_RETRY_MS);
        return;
      }
      this.#timers.delete(partition);
      metrics.pausedPartitions.dec({ tier: this.label });
    }, delayMs);
    this.#timers.set(partition, timer);
  }

  /** Forgets the timer of `partition` (it moved to another member, or the consumer stops). */
  clear(partition: number): void {
    const t = this.#timers.get(partition);
    if (!t) return;
    clearTimeout(t);
    this.#timers.delete(partition);
    metrics.pausedPartitions.dec({ tier: this.label });
  }

  /** Paused partitions of the topic that no timer will resume. */
  orphaned(consumer: Consumer): number[] {
    return consumer
      .paused()
      .filter((tp) => tp.topic === this.topic)
      .flatMap((tp) => tp.partitions)
      .filter((p) => !this.#timers.has(p));
  }

  /** Clears every timer; nothing is resumed any more. */
  stop(): void {
    this.#stopped = true;
    for (const p of [...this.#timers.keys()]) this.clear(p);
  }
}

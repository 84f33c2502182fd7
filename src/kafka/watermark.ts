/**
 * The commit watermark of one partition. Jobs are dispatched in offset order but finish in any
 * order; the committable offset is the lowest job not yet finished (or one past the last
 * dispatched when none is pending), so a crash never skips an unfinished job.
 */
export class PartitionWatermark {
  /** Dispatched offsets not yet finished, in dispatch (= offset) order. */
  readonly #pending: number[] = [];
  readonly #finished = new Set<number>();
  #highestDispatched = -1;
  #committed: number;

  /** @param committed the group's committed offset for this partition when tracking began (-1: none). */
  constructor(committed = -1) {
    this.#committed = committed;
  }

  /** True for an offset this process already dispatched (a re-fetch after a rebalance): skip it. */
  seen(offset: number): boolean {
    return offset <= this.#highestDispatched;
  }

  dispatched(offset: number): void {
    if (offset <= this.#highestDispatched)
      throw new RangeError(`offset ${offset} dispatched twice or out of order`);
    this.#highestDispatched = offset;
    this.#pending.push(offset);
  }

  finished(offset: number): void {
    this.#finished.add(offset);
    while (this.#pending.length > 0 && this.#finished.has(this.#pending[0]!)) {
      this.#finished.delete(this.#pending.shift()!);
    }
  }

  get inFlight(): number {
    return this.#pending.length;
  }

  /** The offset to commit now (the next one to read after a restart), or null when nothing new. */
  committable(): number | null {
    const next = this.#pending.length > 0 ? this.#pending[0]! : this.#highestDispatched + 1;
    return next > this.#committed && this.#highestDispatched >= 0 ? next : null;
  }

  markCommitted(offset: number): void {
    if (offset > this.#committed) this.#committed = offset;
  }
}

/** The watermarks of the partitions a consumer owns, and the commit of those that moved. */
export class Watermarks {
  readonly #marks = new Map<number, PartitionWatermark>();

  constructor(private readonly topic: string) {}

  of(partition: number): PartitionWatermark {
    let w = this.#marks.get(partition);
    if (!w) {
      w = new PartitionWatermark();
      this.#marks.set(partition, w);
    }
    return w;
  }

  /** Partitions now tracked. */
  partitions(): number[] {
    return [...this.#marks.keys()];
  }

  /** Stops tracking `partition` (it moved to another member, which re-reads from the commit). */
  drop(partition: number): void {
    this.#marks.delete(partition);
  }

  /** Commits every watermark that moved with `send`; returns partition → committed offset. */
  async commit(
    send: (offsets: { topic: string; partition: number; offset: string }[]) => Promise<void>,
  ): Promise<Record<number, number>> {
    const offsets: { topic: string; partition: number; offset: string }[] = [];
    const moved: [PartitionWatermark, number][] = [];
    for (const [partition, mark] of this.#marks) {
      const next = mark.committable();
      if (next === null) continue;
      offsets.push({ topic: this.topic, partition, offset: String(next) });
      moved.push([mark, next]);
    }
    if (offsets.length === 0) return {};
    await send(offsets);
    for (const [mark, next] of moved) mark.markCommitted(next);
    return Object.fromEntries(offsets.map((o) => [o.partition, Number(o.offset)]));
  }
}

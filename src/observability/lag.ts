/**
 * Consumer lag of hookstream groups, and — what alerts and autoscaling should use — how overdue
 * each tier is: now minus the due time of the oldest job not yet attempted. Lag on a delay tier is
 * expected (jobs wait there by design); overdue time is not.
 *
 * Lag: end offset − committed offset, from the admin API. Overdue: the job at the committed offset
 * of each partition (the head) is read by a probe consumer, which never commits; its `due_at` gives
 * the answer. The probe is in a group of its own (`hookstream lag`, one reading of every group), or,
 * for /metrics, in an owner group shared by every process of one role (see lag-owner.ts): exactly
 * one of them holds all partitions and is the one that exports the role's series.
 */
import type { Admin, Kafka } from 'kafkajs';
import type { TopicNames } from '../config/topics.js';
import { HeadProbe, type OwnerGroup } from './lag-probe.js';
import type { Logger } from './logger.js';
import { metrics } from './metrics.js';

export interface LagRow {
  readonly group: string;
  readonly topic: string;
  readonly partition: number;
  /** `deliveries`, a tier name, or `router`. */
  readonly stage: string;
  /** Next offset the group reads; null when it never committed (it starts from the earliest). */
  readonly committed: number | null;
  readonly end: number;
  readonly lag: number;
  /** Seconds the head job is past due (0 when not due yet or nothing waits); null for event topics. */
  readonly overdueSeconds: number | null;
}

export interface Watched {
  readonly group: string;
  readonly topic: string;
  readonly stage: string;
  readonly jobs: boolean;
}

export function watchedGroups(names: TopicNames, eventTopics: readonly string[]): Watched[] {
  return [
    ...eventTopics.map((topic) => ({ group: names.routerGroup, topic, stage: 'router', jobs: false })),
    { group: names.senderGroup, topic: names.deliveries, stage: 'deliveries', jobs: true },
    ...names.retry.map((r) => ({ group: r.group, topic: r.topic, stage: r.tier.name, jobs: true })),
  ];
}

type Labels = Record<string, string>;

export class LagCollector {
  readonly #kafka: Kafka;
  readonly #log: Logger;
  readonly #watched: Watched[];
  readonly #owner: OwnerGroup | null;
  readonly #probe: HeadProbe;
  /** Series this collector exported last, removed before the next export (others' stay). */
  #exported: { lag: Labels[]; overdue: Labels[] } = { lag: [], overdue: [] };
  #admin: Admin | null = null;
  #timer: NodeJS.Timeout | null = null;
  #closed = false;

  /** `watched`: the groups to measure (default every hookstream group); `owner`: see OwnerGroup. */
  constructor(opts: {
    kafka: Kafka;
    logger: Logger;
    names: TopicNames;
    eventTopics: readonly string[];
    watched?: readonly Watched[];
    owner?: OwnerGroup;
  }) {
    this.#kafka = opts.kafka;
    this.#log = opts.logger.child({ component: 'lag' });
    this.#watched = [...(opts.watched ?? watchedGroups(opts.names, opts.eventTopics))];
    this.#owner = opts.owner ?? null;
    this.#probe = new HeadProbe({
      kafka: opts.kafka,
      logger: this.#log,
      owner: this.#owner,
      // A process that does not own must not report stale values.
      onOwnership: (owns) => void (owns || this.#clear()),
    });
  }

  /** True while this process reports (always true without an owner group). */
  get reporting(): boolean {
    return this.#owner === null || this.#probe.owns;
  }

  /** The probe's topics: an owner group subscribes to every watched topic, so that the owner is the same for all. */
  #probeTopics(): string[] {
    return this.#watched.filter((w) => this.#owner !== null || w.jobs).map((w) => w.topic);
  }

  async #adminClient(): Promise<Admin> {
    if (!this.#admin) {
      const admin = this.#kafka.admin();
      await admin.connect();
      this.#admin = admin;
    }
    return this.#admin;
  }

  /** One full reading of every watched group. */
  async collect(now = Date.now(), opts: { probeTimeoutMs?: number } = {}): Promise<LagRow[]> {
    const admin = await this.#adminClient();
    const existing = new Set(await admin.listTopics());
    const rows: (Omit<LagRow, 'overdueSeconds'> & { jobs: boolean; head: number })[] = [];
    for (const w of this.#watched) {
      if (!existing.has(w.topic)) continue;
      const [ends, [committedTopic]] = await Promise.all([
        admin.fetchTopicOffsets(w.topic),
        admin.fetchOffsets({ groupId: w.group, topics: [w.topic] }),
      ]);
      for (const p of ends) {
        const end = Number(p.high);
        const low = Number(p.low);
        const c = committedTopic?.partitions.find((x) => x.partition === p.partition);
        const committed = c && Number(c.offset) >= 0 ? Number(c.offset) : null;
        const head = Math.max(committed ?? low, low);
        rows.push({
          group: w.group,
          topic: w.topic,
          partition: p.partition,
          stage: w.stage,
          committed,
          end,
          lag: Math.max(0, end - head),
          jobs: w.jobs,
          head,
        });
      }
    }
    const waiting = rows.filter((r) => r.jobs && r.lag > 0);
    await this.#probe.read(
      waiting.map((r) => ({ topic: r.topic, partition: r.partition, offset: r.head })),
      this.#probeTopics(),
      opts.probeTimeoutMs ?? 3_000,
    );
    return rows.map(({ jobs, head, ...row }) => {
      let overdueSeconds: number | null = null;
      if (jobs) {
        const dueAt = row.lag > 0 ? this.#probe.dueAt(row.topic, row.partition) : null;
        overdueSeconds = dueAt === null ? 0 : Math.max(0, (now - dueAt) / 1000);
      }
      return { ...row, overdueSeconds };
    });
  }

  /**
   * Collects every `intervalMs` and exports `hookstream_consumer_lag` and
   * `hookstream_tier_overdue_seconds` (with an owner group: only while this process owns).
   */
  start(intervalMs: number): void {
    const tick = async () => {
      try {
        if (this.#owner) await this.#probe.ensure(this.#probeTopics());
        if (this.reporting) {
          const rows = await this.collect();
          if (this.reporting) this.#export(rows);
        }
      } catch (err) {
        this.#log.warn({ err }, 'collecting consumer lag failed; will retry');
      }
      if (!this.#closed) this.#timer = setTimeout(tick, intervalMs);
    };
    this.#timer = setTimeout(tick, 0);
  }

  /** Replaces this collector's series; overdue per tier is the worst partition's. */
  #export(rows: readonly LagRow[]): void {
    this.#clear();
    const worst = new Map<string, number>();
    for (const r of rows) {
      const labels = { group: r.group, topic: r.topic, partition: String(r.partition) };
      metrics.consumerLag.set(labels, r.lag);
      this.#exported.lag.push(labels);
      if (r.overdueSeconds !== null) worst.set(r.stage, Math.max(worst.get(r.stage) ?? 0, r.overdueSeconds));
    }
    for (const [tier, s] of worst) {
      metrics.tierOverdue.set({ tier }, s);
      this.#exported.overdue.push({ tier });
    }
  }

  /** Removes this collector's series (a process that does not own must not report stale values). */
  #clear(): void {
    for (const l of this.#exported.lag) metrics.consumerLag.remove(l);
    for (const l of this.#exported.overdue) metrics.tierOverdue.remove(l);
    this.#exported = { lag: [], overdue: [] };
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#clear();
    await this.#probe.close();
    await this.#admin?.disconnect().catch(() => {});
  }
}

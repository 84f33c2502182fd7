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
import { randomBytes } from 'node:crypto';
import type { Admin, Consumer, Kafka, PartitionAssigner } from 'kafkajs';
import type { TopicNames } from '../config/topics.js';
import { decodeJob } from '../core/job.js';
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

/** A shared probe group: its members split nothing, one of them (`owns`) holds every partition. */
export interface OwnerGroup {
  readonly groupId: string;
  readonly assigner: PartitionAssigner;
  /** @default kafkajs' 30_000 ms */
  readonly sessionTimeoutMs?: number;
}

type Labels = Record<string, string>;

export class LagCollector {
  readonly #kafka: Kafka;
  readonly #log: Logger;
  readonly #watched: Watched[];
  readonly #owner: OwnerGroup | null;
  /** Owner group only: whether this process holds the partitions (and so reports). */
  #owns = false;
  /** Series this collector exported last, removed before the next export (others' stay). */
  #exported: { lag: Labels[]; overdue: Labels[] } = { lag: [], overdue: [] };
  #admin: Admin | null = null;
  #probe: Consumer | null = null;
  #probeReady: Promise<void> | null = null;
  /** `${topic}:${partition}` → offset wanted and, once read, the due time found there. */
  readonly #heads = new Map<string, { offset: number; dueAt: number | null }>();
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
  }

  /** True while this process reports (always true without an owner group). */
  get reporting(): boolean {
    return this.#owner === null || this.#owns;
  }

  async #adminClient(): Promise<Admin> {
    if (!this.#admin) {
      const admin = this.#kafka.admin();
      await admin.connect();
      this.#admin = admin;
    }
    return this.#admin;
  }

  /** A consumer that reads one message per partition when asked (owner group: only the owner has any). */
  async #startProbe(topics: string[]): Promise<void> {
    const owner = this.#owner;
    const probe = this.#kafka.consumer({
      groupId: owner?.groupId ?? `hookstream-lag-probe-${randomBytes(6).toString('hex')}`,
      maxWaitTimeInMs: 100,
      allowAutoTopicCreation: false,
      ...(owner && { partitionAssigners: [owner.assigner], sessionTimeout: owner.sessionTimeoutMs }),
    });
    const joined = new Promise<void>((resolve) =>
      probe.on(probe.events.GROUP_JOIN, ({ payload }) => {
        const owns = Object.values(payload.memberAssignment).some((ps) => ps.length > 0);
        if (owner && owns !== this.#owns)
          this.#log.info(
            { group: owner.groupId, owns },
            owns ? 'reporting lag for this role' : 'another process reports lag',
          );
        this.#owns = owns;
        if (!owns) this.#clear();
        resolve();
      }),
    );
    // A rebalance may hand the partitions to another process: stop reporting until the next join.
    probe.on(probe.events.REBALANCING, () => {
      this.#owns = false;
      this.#clear();
    });
    // A probe that crashed for good holds no partitions: stop reporting; the next tick starts a new one.
    probe.on(probe.events.CRASH, ({ payload }) => {
      if (payload.restart) return;
      this.#log.warn({ err: payload.error }, 'lag probe consumer crashed; starting a new one');
      this.#owns = false;
      this.#clear();
      this.#probe = null;
      this.#probeReady = null;
      void probe.disconnect().catch(() => {});
    });
    this.#probe = probe;
    try {
      await probe.connect();
      await probe.subscribe({ topics, fromBeginning: true });
    } catch (err) {
      this.#probe = null;
      await probe.disconnect().catch(() => {});
      throw err;
    }
    await probe.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const key = `${batch.topic}:${batch.partition}`;
        const head = this.#heads.get(key);
        const first = batch.messages[0];
        if (head && first && Number(first.offset) === head.offset) {
          try {
            head.dueAt = decodeJob(first.value ?? Buffer.alloc(0)).due_at;
          } catch {
            head.dueAt = Number(first.timestamp); // a malformed job: its record time stands in
          }
        }
        probe.pause([{ topic: batch.topic, partitions: [batch.partition] }]);
      },
    });
    await joined;
  }

  /** Reads the due time of the job at `offset` of each partition (cached while the offset stays). */
  async #dueTimes(
    wanted: { topic: string; partition: number; offset: number }[],
    timeoutMs: number,
  ): Promise<void> {
    const topics = [...new Set(wanted.map((w) => w.topic))];
    if (topics.length === 0) return;
    await this.#ensureProbe();
    const probe = this.#probe!;
    const pending: { topic: string; partition: number; offset: number }[] = [];
    for (const w of wanted) {
      const key = `${w.topic}:${w.partition}`;
      const head = this.#heads.get(key);
      if (head && head.offset === w.offset && head.dueAt !== null) continue;
      this.#heads.set(key, { offset: w.offset, dueAt: null });
      probe.seek({ topic: w.topic, partition: w.partition, offset: String(w.offset) });
      probe.resume([{ topic: w.topic, partitions: [w.partition] }]);
      pending.push(w);
    }
    const deadline = Date.now() + timeoutMs;
    while (
      pending.some((w) => this.#heads.get(`${w.topic}:${w.partition}`)?.dueAt === null) &&
      Date.now() < deadline
    ) {
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  #ensureProbe(): Promise<void> {
    // An owner group subscribes to every watched topic, so that the owner is the same for all.
    const topics = this.#watched.filter((w) => this.#owner !== null || w.jobs).map((w) => w.topic);
    this.#probeReady ??= this.#startProbe([...new Set(topics)]).catch((err: unknown) => {
      this.#probeReady = null; // e.g. a topic not created yet: the next tick tries again
      throw err;
    });
    return this.#probeReady;
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
    await this.#dueTimes(
      waiting.map((r) => ({ topic: r.topic, partition: r.partition, offset: r.head })),
      opts.probeTimeoutMs ?? 3_000,
    );
    return rows.map(({ jobs, head, ...row }) => {
      let overdueSeconds: number | null = null;
      if (jobs) {
        const dueAt = row.lag > 0 ? (this.#heads.get(`${row.topic}:${row.partition}`)?.dueAt ?? null) : null;
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
        if (this.#owner) await this.#ensureProbe();
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
    await this.#probe?.disconnect().catch(() => {});
    await this.#admin?.disconnect().catch(() => {});
  }
}

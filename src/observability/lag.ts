/**
 * Consumer lag of every hookstream group, and — what alerts and autoscaling should use — how
 * overdue each tier is: now minus the due time of the oldest job not yet attempted. Lag on a delay
 * tier is expected (jobs wait there by design); overdue time is not.
 *
 * Lag: end offset − committed offset, from the admin API. Overdue: the job at the committed offset
 * of each partition (the head) is read by a probe consumer in a group of its own, which never
 * commits; its `due_at` gives the answer.
 */
import { randomBytes } from 'node:crypto';
import type { Admin, Consumer, Kafka } from 'kafkajs';
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

interface Watched {
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

export class LagCollector {
  readonly #kafka: Kafka;
  readonly #log: Logger;
  readonly #watched: Watched[];
  #admin: Admin | null = null;
  #probe: Consumer | null = null;
  #probeReady: Promise<void> | null = null;
  /** `${topic}:${partition}` → offset wanted and, once read, the due time found there. */
  readonly #heads = new Map<string, { offset: number; dueAt: number | null }>();
  #timer: NodeJS.Timeout | null = null;
  #closed = false;

  constructor(opts: { kafka: Kafka; logger: Logger; names: TopicNames; eventTopics: readonly string[] }) {
    this.#kafka = opts.kafka;
    this.#log = opts.logger.child({ component: 'lag' });
    this.#watched = watchedGroups(opts.names, opts.eventTopics);
  }

  async #adminClient(): Promise<Admin> {
    if (!this.#admin) {
      const admin = this.#kafka.admin();
      await admin.connect();
      this.#admin = admin;
    }
    return this.#admin;
  }

  /** A consumer in a group of its own that reads one message per partition when asked. */
  async #startProbe(topics: string[]): Promise<void> {
    const probe = this.#kafka.consumer({
      groupId: `hookstream-lag-probe-${randomBytes(6).toString('hex')}`,
      maxWaitTimeInMs: 100,
      allowAutoTopicCreation: false,
    });
    const joined = new Promise<void>((resolve) => probe.on(probe.events.GROUP_JOIN, () => resolve()));
    await probe.connect();
    await probe.subscribe({ topics, fromBeginning: true });
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
    this.#probe = probe;
    await joined;
  }

  /** Reads the due time of the job at `offset` of each partition (cached while the offset stays). */
  async #dueTimes(
    wanted: { topic: string; partition: number; offset: number }[],
    timeoutMs: number,
  ): Promise<void> {
    const topics = [...new Set(wanted.map((w) => w.topic))];
    if (topics.length === 0) return;
    this.#probeReady ??= this.#startProbe(this.#watched.filter((w) => w.jobs).map((w) => w.topic));
    await this.#probeReady;
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

  /** Collects every `intervalMs` and exports `hookstream_consumer_lag` and `hookstream_tier_overdue_seconds`. */
  start(intervalMs: number): void {
    const tick = async () => {
      try {
        const rows = await this.collect();
        exportLag(rows);
      } catch (err) {
        this.#log.warn({ err }, 'collecting consumer lag failed; will retry');
      }
      if (!this.#closed) this.#timer = setTimeout(tick, intervalMs);
    };
    this.#timer = setTimeout(tick, 0);
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#probe?.disconnect().catch(() => {});
    await this.#admin?.disconnect().catch(() => {});
  }
}

export function exportLag(rows: readonly LagRow[]): void {
  metrics.consumerLag.reset();
  metrics.tierOverdue.reset();
  const worst = new Map<string, number>();
  for (const r of rows) {
    metrics.consumerLag.set({ group: r.group, topic: r.topic, partition: String(r.partition) }, r.lag);
    if (r.overdueSeconds !== null) worst.set(r.stage, Math.max(worst.get(r.stage) ?? 0, r.overdueSeconds));
  }
  for (const [tier, s] of worst) metrics.tierOverdue.set({ tier }, s);
}

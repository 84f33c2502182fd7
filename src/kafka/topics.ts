/** Idempotent topic creation for everything hookstream owns. */
import type { Admin, ITopicConfig } from 'kafkajs';
import type { TopicNames } from '../config/topics.js';
import type { Tier } from '../core/retry-policy.js';
import { kafkaTunables } from './tunables.js';

const DAY_MS = 86_400_000;
/** kafkajs' `ConfigResourceTypes.TOPIC` (kafkajs is CommonJS: that enum is not an ES named export). */
const TOPIC_RESOURCE = 2;

export interface TopicPlan {
  readonly topic: string;
  readonly partitions: number;
  readonly replication: number;
  /** Retention, milliseconds. */
  readonly retentionMs: number;
  /**
   * `max.message.bytes`, bytes; set on every topic hookstream owns (the router sizes jobs by it).
   * Absent: the broker's default (event topics belong to their producers).
   */
  readonly maxMessageBytes?: number;
}

/**
 * What `hookstream topics create` makes. Retention: 7 days for deliveries and events.invalid,
 * 14 days for dead letters and operational events, and for each tier at least 7 days and at least 4× its delay, so a job
 * parked in the longest tier is always still there when it comes due.
 */
export function planTopics(
  names: TopicNames,
  opts: { partitions: number; replication: number; retentionMs?: number; maxMessageBytes?: number },
): TopicPlan[] {
  const base = opts.retentionMs ?? 7 * DAY_MS;
  const maxMessageBytes = opts.maxMessageBytes ?? kafkaTunables().maxMessageBytes;
  const plan = (topic: string, retentionMs: number): TopicPlan => ({
    topic,
    partitions: opts.partitions,
    replication: opts.replication,
    retentionMs,
    maxMessageBytes,
  });
  return [
    plan(names.deliveries, base),
    ...names.retry.map(({ topic, tier }: { topic: string; tier: Tier }) =>
      plan(topic, Math.max(base, 4 * tier.delayMs)),
    ),
    plan(names.deadLetter, Math.max(base, 14 * DAY_MS)),
    plan(names.eventsInvalid, base),
    plan(names.operational, Math.max(base, 14 * DAY_MS)),
  ];
}

export interface EnsureResult {
  readonly created: string[];
  readonly existing: string[];
}

/** Creates the topics that do not exist yet; existing ones are left as they are. */
export async function ensureTopics(admin: Admin, plans: readonly TopicPlan[]): Promise<EnsureResult> {
  const existing = new Set(await admin.listTopics());
  const missing = plans.filter((p) => !existing.has(p.topic));
  if (missing.length > 0) {
    const topics: ITopicConfig[] = missing.map((p) => ({
      topic: p.topic,
      numPartitions: p.partitions,
      replicationFactor: p.replication,
      configEntries: [
        { name: 'retention.ms', value: String(p.retentionMs) },
        ...(p.maxMessageBytes === undefined
          ? []
          : [{ name: 'max.message.bytes', value: String(p.maxMessageBytes) }]),
      ],
    }));
    try {
      await admin.createTopics({ topics, waitForLeaders: true });
    } catch (err) {
      const type = (err as { type?: string }).type;
      // kafkajs waits for leaders retrying only LEADER_NOT_AVAILABLE, but a broker may answer a
      // just-created topic's metadata with UNKNOWN_TOPIC_OR_PARTITION for a moment (seen in CI):
      // wait for the leaders here. A concurrent creator may have won the race; anything else is real.
      if (type === 'UNKNOWN_TOPIC_OR_PARTITION')
        await waitForLeaders(
          admin,
          missing.map((p) => p.topic),
          err,
        );
      else if (type !== 'TOPIC_ALREADY_EXISTS') throw err;
    }
  }
  return {
    created: missing.map((p) => p.topic),
    existing: plans.filter((p) => existing.has(p.topic)).map((p) => p.topic),
  };
}

/** How long `ensureTopics` waits for new topics' leaders after kafkajs gave up, milliseconds. */
const LEADER_WAIT_MS = 15_000;

/** Until every partition of `topics` has a leader; throws `first` (kafkajs' error) past LEADER_WAIT_MS. */
async function waitForLeaders(admin: Admin, topics: readonly string[], first: unknown): Promise<void> {
  const deadline = Date.now() + LEADER_WAIT_MS;
  for (;;) {
    try {
      const { topics: meta } = await admin.fetchTopicMetadata({ topics: [...topics] });
      if (meta.length === topics.length && meta.every((t) => t.partitions.every((p) => p.leader >= 0)))
        return;
    } catch (err) {
      const type = (err as { type?: string }).type;
      if (type !== 'UNKNOWN_TOPIC_OR_PARTITION' && type !== 'LEADER_NOT_AVAILABLE') throw err;
    }
    if (Date.now() > deadline) throw first;
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * The smallest `max.message.bytes` among `topics` as the broker reports it (topic setting or broker
 * default), bytes; null when none of them could be described.
 */
export async function smallestMaxMessageBytes(
  admin: Admin,
  topics: readonly string[],
): Promise<number | null> {
  const { resources } = await admin.describeConfigs({
    includeSynonyms: false,
    resources: topics.map((name) => ({
      type: TOPIC_RESOURCE,
      name,
      configNames: ['max.message.bytes'],
    })),
  });
  let smallest: number | null = null;
  for (const r of resources) {
    if (r.errorCode !== 0) continue;
    const value = Number(r.configEntries.find((e) => e.configName === 'max.message.bytes')?.configValue);
    if (Number.isSafeInteger(value) && value > 0 && (smallest === null || value < smallest)) smallest = value;
  }
  return smallest;
}

/** `hookstream topics create`: makes every topic hookstream owns; safe to run again. */
import { topicNames } from '../config/topics.js';
import { createKafka } from '../kafka/client.js';
import { ensureTopics, planTopics } from '../kafka/topics.js';
import { type Cli, cliLogger, closeWithin, config, withDeadline } from './io.js';

export interface TopicsOptions {
  readonly partitions?: number;
  readonly replication?: number;
  readonly eventTopics?: boolean;
}

export async function topicsCreateCommand(cli: Cli, opts: TopicsOptions): Promise<number> {
  const cfg = config(cli);
  const names = topicNames(cfg.topicPrefix, cfg.tiers);
  const sizing = {
    partitions: opts.partitions ?? cfg.topicPartitions,
    replication: opts.replication ?? cfg.topicReplication,
  };
  const plans = planTopics(names, sizing);
  // Event topics belong to the upstream producers; create them only when asked (local runs, demos).
  if (opts.eventTopics) {
    plans.push(...cfg.eventTopics.map((topic) => ({ topic, ...sizing, retentionMs: 7 * 86_400_000 })));
  }
  const admin = createKafka({
    brokers: cfg.kafka.brokers,
    security: cfg.kafka,
    clientId: 'hookstream-topics',
    logger: cliLogger(cli, 'topics', cfg),
  }).admin();
  try {
    const { result, existing } = await withDeadline(
      cli,
      `Kafka (${cfg.kafka.brokers.join(',')})`,
      async () => {
        await admin.connect();
        const result = await ensureTopics(admin, plans);
        return { result, existing: new Set(await admin.listTopics()) };
      },
    );
    for (const p of plans) {
      const state = result.created.includes(p.topic) ? 'created' : 'exists ';
      const days = (p.retentionMs / 86_400_000).toFixed(1);
      cli.out(
        `${state} ${p.topic}  partitions=${p.partitions} replication=${p.replication} retention=${days}d${p.maxMessageBytes === undefined ? '' : ` max.message.bytes=${p.maxMessageBytes}`}\n`,
      );
    }
    for (const t of cfg.eventTopics.filter((x) => !existing.has(x))) {
      cli.err(
        `note: event topic ${t} does not exist yet; the router waits for it (--event-topics creates it)\n`,
      );
    }
  } finally {
    await closeWithin(admin.disconnect());
  }
  return 0;
}

/** `hookstream topics create`: makes every topic hookstream owns; safe to run again. */
import { loadConfig } from '../config/config.js';
import { topicNames } from '../config/topics.js';
import { createKafka } from '../kafka/client.js';
import { ensureTopics, planTopics } from '../kafka/topics.js';
import { createLogger } from '../observability/logger.js';
import { parse, positiveInt } from './args.js';

const USAGE = 'hookstream topics create [--partitions N] [--replication N] [--event-topics]';

export async function topicsCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(
    args,
    { partitions: { type: 'string' }, replication: { type: 'string' }, 'event-topics': { type: 'boolean' } },
    USAGE,
  );
  if (positionals[0] !== 'create' || positionals.length !== 1) {
    process.stderr.write(`usage: ${USAGE}\n`);
    return 2;
  }
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel, name: 'topics' });
  const names = topicNames(config.topicPrefix, config.tiers);
  const sizing = {
    partitions: positiveInt(values.partitions, 'partitions') ?? config.topicPartitions,
    replication: positiveInt(values.replication, 'replication') ?? config.topicReplication,
  };
  const plans = planTopics(names, sizing);
  // Event topics belong to the upstream producers; create them only when asked (local runs, demos).
  if (values['event-topics']) {
    plans.push(...config.eventTopics.map((topic) => ({ topic, ...sizing, retentionMs: 7 * 86_400_000 })));
  }
  const admin = createKafka({
    brokers: config.kafka.brokers,
    security: config.kafka,
    clientId: 'hookstream-topics',
    logger,
  }).admin();
  await admin.connect();
  try {
    const result = await ensureTopics(admin, plans);
    for (const p of plans) {
      const state = result.created.includes(p.topic) ? 'created' : 'exists ';
      const days = (p.retentionMs / 86_400_000).toFixed(1);
      process.stdout.write(
        `${state} ${p.topic}  partitions=${p.partitions} replication=${p.replication} retention=${days}d${p.maxMessageBytes === undefined ? '' : ` max.message.bytes=${p.maxMessageBytes}`}\n`,
      );
    }
    const existing = new Set(await admin.listTopics());
    for (const t of config.eventTopics.filter((x) => !existing.has(x))) {
      process.stdout.write(
        `note: event topic ${t} does not exist yet; the router waits for it (--event-topics creates it)\n`,
      );
    }
  } finally {
    await admin.disconnect();
  }
  return 0;
}

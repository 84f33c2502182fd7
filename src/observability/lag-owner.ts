/**
 * Lag and overdue time from the roles that own them: each sender measures its own topic's group,
 * the router its own, so a router outage no longer blinds the tier autoscaling and a quiet tier
 * can scale to zero.
 *
 * Exactly one process per role reports each series. Every process of a role joins one owner group
 * (`<group>-lag-owner`, never committing) whose assigner gives every partition to one member; the
 * member holding them measures the whole group (admin API + heads) and exports
 * `hookstream_consumer_lag` / `hookstream_tier_overdue_seconds`. The others export nothing. If the
 * owner stops or dies, Kafka's group protocol hands the partitions to another member within the
 * session timeout. Summing or taking max over pods therefore never counts a partition twice.
 */
import { AssignerProtocol, type PartitionAssigner } from 'kafkajs';
import type { Config } from '../config/config.js';
import { topicNames } from '../config/topics.js';
import { createKafka } from '../kafka/client.js';
import { LagCollector, watchedGroups } from './lag.js';
import type { Logger } from './logger.js';

/** Every partition of every subscribed topic to one member: the lowest member id. */
export const soleOwnerAssigner: PartitionAssigner = ({ cluster }) => ({
  name: 'HookstreamSoleOwner',
  version: 1,
  async assign({ members, topics }) {
    const owner = members.map((m) => m.memberId).sort()[0];
    const all = Object.fromEntries(
      topics.map((t) => [t, cluster.findTopicPartitionMetadata(t).map((p) => p.partitionId)]),
    );
    return members.map(({ memberId }) => ({
      memberId,
      memberAssignment: AssignerProtocol.MemberAssignment.encode({
        version: 1,
        assignment: memberId === owner ? all : {},
        userData: Buffer.alloc(0),
      }),
    }));
  },
  protocol({ topics }) {
    return {
      name: 'HookstreamSoleOwner',
      metadata: AssignerProtocol.MemberMetadata.encode({ version: 1, topics, userData: Buffer.alloc(0) }),
    };
  },
});

interface Started {
  push(c: { readonly name: string; close(): Promise<void> }): unknown;
}

/**
 * Starts one owner-group collector per stage (`router`, `deliveries` or a tier name) this process
 * runs; a no-op when HOOKSTREAM_LAG_INTERVAL_MS is 0. Returns the collectors (for tests).
 */
export function reportOwnLag(
  ctx: { readonly config: Config; readonly logger: Logger; readonly started: Started },
  stages: readonly string[],
): LagCollector[] {
  const { config, logger } = ctx;
  if (config.lagIntervalMs <= 0) return [];
  const names = topicNames(config.topicPrefix, config.tiers);
  const all = watchedGroups(names, config.eventTopics);
  return stages.map((stage) => {
    const watched = all.filter((w) => w.stage === stage);
    const collector = new LagCollector({
      kafka: createKafka({
        brokers: config.kafka.brokers,
        security: config.kafka,
        clientId: `${config.kafka.clientId}-lag`,
        logger,
      }),
      logger: logger.child({ stage }),
      names,
      eventTopics: config.eventTopics,
      watched,
      owner: {
        groupId: `${watched[0]!.group}-lag-owner`,
        assigner: soleOwnerAssigner,
        sessionTimeoutMs: config.kafka.sessionTimeoutMs,
      },
    });
    collector.start(config.lagIntervalMs);
    ctx.started.push({ name: `lag collector (${stage})`, close: () => collector.close() });
    return collector;
  });
}

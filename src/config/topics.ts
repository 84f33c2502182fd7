/** Topic and consumer-group names, all derived from HOOKSTREAM_TOPIC_PREFIX and the tiers. */
import type { Tier } from '../core/retry-policy.js';

export interface TopicNames {
  /** First attempts. */
  readonly deliveries: string;
  readonly deadLetter: string;
  readonly eventsInvalid: string;
  /** Operational events (`webhook.disabled`, `webhook.enabled`, `delivery.exhausted`). */
  readonly operational: string;
  /** One per tier, in tier order. */
  readonly retry: readonly { readonly tier: Tier; readonly topic: string; readonly group: string }[];
  readonly routerGroup: string;
  /** Consumer group of the first-attempt sender. */
  readonly senderGroup: string;
}

export function topicNames(prefix: string, tiers: readonly Tier[]): TopicNames {
  return {
    deliveries: `${prefix}.deliveries`,
    deadLetter: `${prefix}.dead-letter`,
    eventsInvalid: `${prefix}.events.invalid`,
    operational: `${prefix}.operational`,
    retry: tiers.map((tier) => ({
      tier,
      topic: `${prefix}.retry.${tier.name}`,
      group: `${prefix}-sender-${tier.name}`,
    })),
    routerGroup: `${prefix}-router`,
    senderGroup: `${prefix}-sender`,
  };
}

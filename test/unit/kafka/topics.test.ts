import type { Admin } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { formatLagTable } from '../../../src/cli/lag.js';
import { topicNames } from '../../../src/config/topics.js';
import { parseTiers } from '../../../src/core/retry-policy.js';
import { ensureTopics, planTopics } from '../../../src/kafka/topics.js';

describe('planTopics', () => {
  it('keeps every tier well beyond its delay and dead letters longest', () => {
    const names = topicNames('hookstream', parseTiers('1m,10m,1h,6h,2d'));
    const plan = planTopics(names, { partitions: 12, replication: 3 });
    expect(plan.map((p) => p.topic)).toEqual([
      'hookstream.deliveries',
      'hookstream.retry.1m',
      'hookstream.retry.10m',
      'hookstream.retry.1h',
      'hookstream.retry.6h',
      'hookstream.retry.2d',
      'hookstream.dead-letter',
      'hookstream.events.invalid',
      'hookstream.operational',
    ]);
    for (const r of names.retry) {
      const p = plan.find((x) => x.topic === r.topic)!;
      expect(p.retentionMs).toBeGreaterThanOrEqual(4 * r.tier.delayMs);
      expect(p.retentionMs).toBeGreaterThanOrEqual(7 * 86_400_000);
    }
    expect(plan.find((p) => p.topic === 'hookstream.retry.2d')!.retentionMs).toBe(8 * 86_400_000);
    expect(plan.every((p) => p.partitions === 12 && p.replication === 3)).toBe(true);
    // Every topic a job or a quarantined event goes to has its record size limit set explicitly.
    expect(plan.every((p) => p.maxMessageBytes === 1_048_576)).toBe(true);
    expect(
      planTopics(names, { partitions: 1, replication: 1, maxMessageBytes: 2_000_000 })[0]!.maxMessageBytes,
    ).toBe(2_000_000);
  });
});

/** kafkajs' error shape: a name and the broker's error type. */
const kafkaError = (type: string) => Object.assign(new Error(type), { name: 'KafkaJSProtocolError', type });

describe('ensureTopics', () => {
  const plan = planTopics(topicNames('hs', parseTiers('1m')), { partitions: 1, replication: 1 }).slice(0, 1);

  function admin(createError: Error | null, metadata: (() => unknown)[]): Admin {
    return {
      listTopics: async () => [],
      createTopics: async () => {
        if (createError) throw createError;
        return true;
      },
      fetchTopicMetadata: async () => {
        const next = metadata.shift();
        if (!next) throw new Error('metadata asked too often');
        return next();
      },
    } as unknown as Admin;
  }
  const ready = () => ({ topics: [{ name: 'hs.deliveries', partitions: [{ partitionId: 0, leader: 1 }] }] });
  const noLeader = () => ({
    topics: [{ name: 'hs.deliveries', partitions: [{ partitionId: 0, leader: -1 }] }],
  });

  it('waits for the leaders itself when kafkajs gives up on UNKNOWN_TOPIC_OR_PARTITION right after creating', async () => {
    const unknown = () => {
      throw kafkaError('UNKNOWN_TOPIC_OR_PARTITION');
    };
    const a = admin(kafkaError('UNKNOWN_TOPIC_OR_PARTITION'), [unknown, noLeader, ready]);
    await expect(ensureTopics(a, plan)).resolves.toEqual({ created: ['hs.deliveries'], existing: [] });
  });

  it('takes a topic a concurrent creator made, and throws anything else', async () => {
    await expect(ensureTopics(admin(kafkaError('TOPIC_ALREADY_EXISTS'), []), plan)).resolves.toMatchObject({
      created: ['hs.deliveries'],
    });
    const refused = kafkaError('TOPIC_AUTHORIZATION_FAILED');
    await expect(ensureTopics(admin(refused, []), plan)).rejects.toBe(refused);
  });
});

describe('formatLagTable', () => {
  it('aligns columns and summarises lag and overdue per stage', () => {
    const out = formatLagTable([
      {
        group: 'hs-router',
        topic: 'domain-events',
        partition: 0,
        stage: 'router',
        committed: 10,
        end: 12,
        lag: 2,
        overdueSeconds: null,
      },
      {
        group: 'hs-sender-1m',
        topic: 'hs.retry.1m',
        partition: 0,
        stage: '1m',
        committed: null,
        end: 3,
        lag: 3,
        overdueSeconds: 75,
      },
      {
        group: 'hs-sender-1m',
        topic: 'hs.retry.1m',
        partition: 1,
        stage: '1m',
        committed: 4,
        end: 4,
        lag: 0,
        overdueSeconds: 0,
      },
    ]);
    const lines = out.split('\n');
    expect(lines[0]).toMatch(/^GROUP\s+TOPIC\s+PARTITION\s+COMMITTED\s+END\s+LAG\s+OVERDUE$/);
    expect(lines[2]).toMatch(/^hs-sender-1m\s+hs\.retry\.1m\s+0\s+-\s+3\s+3\s+1m15s$/);
    expect(out).toContain('router: lag 2\n');
    expect(out).toContain('1m: lag 3, overdue 1m15s\n');
  });
});

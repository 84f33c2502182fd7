import type { Consumer, EachMessagePayload } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { resources, uniqueName, waitFor } from '../../support/helpers.js';

describe('Kafka plumbing on the real broker', () => {
  const r = resources();

  async function topicWith(partitions: number): Promise<string> {
    const admin = await r.admin();
    const topic = uniqueName('plumb');
    const created = await admin.createTopics({
      topics: [{ topic, numPartitions: partitions }],
      waitForLeaders: true,
    });
    expect(created).toBe(true);
    return topic;
  }

  async function consumer(groupId: string): Promise<Consumer> {
    const c = r.kafka().consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 1_000 });
    await c.connect();
    return r.add(c, (x) => x.disconnect());
  }

  it('creates topics through the admin client, idempotently', async () => {
    const admin = await r.admin();
    const topic = await topicWith(3);
    expect(await admin.listTopics()).toContain(topic);
    expect(await admin.createTopics({ topics: [{ topic, numPartitions: 3 }] })).toBe(false);
    const meta = await admin.fetchTopicMetadata({ topics: [topic] });
    expect(meta.topics[0]?.partitions).toHaveLength(3);
  });

  it('a restarted consumer resumes right after its last manual commit', async () => {
    const topic = await topicWith(1);
    const groupId = uniqueName('g');
    const producer = r.add(r.kafka().producer(), (p) => p.disconnect());
    await producer.connect();
    await producer.send({
      topic,
      acks: -1,
      messages: Array.from({ length: 10 }, (_, i) => ({ value: `m${i}` })),
    });

    // First consumer: handles m0..m5, commits after m0..m4 only (m5 is seen but not committed).
    const seen1: string[] = [];
    const c1 = await consumer(groupId);
    await c1.subscribe({ topic, fromBeginning: true });
    await c1.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }: EachMessagePayload) => {
        const value = message.value!.toString();
        if (seen1.length >= 6) return;
        seen1.push(value);
        if (seen1.length <= 5) {
          await c1.commitOffsets([{ topic, partition, offset: String(Number(message.offset) + 1) }]);
        }
      },
    });
    await waitFor(() => seen1.length === 6, { message: 'first consumer to see 6 messages' });
    await c1.disconnect();

    const admin = await r.admin();
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
    expect(offsets?.partitions[0]?.offset).toBe('5');

    // Second consumer in the same group starts at m5: not before (m4), not after (m6).
    const seen2: string[] = [];
    const c2 = await consumer(groupId);
    await c2.subscribe({ topic, fromBeginning: true });
    await c2.run({
      autoCommit: false,
      eachMessage: async ({ message }) => void seen2.push(message.value!.toString()),
    });
    await waitFor(() => seen2.length === 5, { message: 'second consumer to see m5..m9' });
    expect(seen2).toEqual(['m5', 'm6', 'm7', 'm8', 'm9']);
  });

  it('a paused partition holds while another keeps flowing, then resumes', async () => {
    const topic = await topicWith(2);
    const producer = r.add(r.kafka().producer(), (p) => p.disconnect());
    await producer.connect();
    const c = await consumer(uniqueName('g'));
    await c.subscribe({ topic, fromBeginning: true });
    const got: Record<number, string[]> = { 0: [], 1: [] };
    await c.run({
      eachMessage: async ({ partition, message }) => void got[partition]!.push(message.value!.toString()),
    });
    await waitFor(() => c.paused !== undefined);
    // Wait until the consumer owns both partitions before pausing one.
    await producer.send({
      topic,
      acks: -1,
      messages: [
        { partition: 0, value: 'warm0' },
        { partition: 1, value: 'warm1' },
      ],
    });
    await waitFor(() => got[0]!.length === 1 && got[1]!.length === 1, { message: 'warm-up messages' });

    c.pause([{ topic, partitions: [0] }]);
    expect(c.paused()).toEqual([{ topic, partitions: [0] }]);
    await producer.send({
      topic,
      acks: -1,
      messages: [
        { partition: 0, value: 'held' },
        { partition: 1, value: 'flows-1' },
        { partition: 1, value: 'flows-2' },
      ],
    });
    await waitFor(() => got[1]!.length === 3, { message: 'partition 1 keeps flowing' });
    expect(got[0]).toEqual(['warm0']);

    c.resume([{ topic, partitions: [0] }]);
    await waitFor(() => got[0]!.length === 2, { message: 'partition 0 resumes' });
    expect(got[0]).toEqual(['warm0', 'held']);
    expect(c.paused()).toEqual([]);
  });
});

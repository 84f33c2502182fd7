import { readFileSync } from 'node:fs';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { describe, expect, it } from 'vitest';
import { ensureTopics } from '../../../src/kafka/topics.js';
import { webhooksCollection } from '../../../src/mongo/webhooks.js';
import { resources, sleep, waitFor } from '../../support/helpers.js';
import {
  event,
  insertWebhook,
  pipelineEnv,
  publish,
  readTopic,
  startPipeline,
} from '../../support/pipeline.js';
import { TestReceiver } from '../../support/receiver.js';
import { SchemaRegistryDouble } from '../../support/schema-registry.js';

const envelopeSchema = JSON.parse(
  readFileSync(new URL('../../../schemas/envelope.avsc', import.meta.url), 'utf8'),
);

describe('router on real Kafka and MongoDB', () => {
  const r = resources();

  it('quarantines poison events with a reason and keeps the partition flowing', async () => {
    const registry = r.add(await new SchemaRegistryDouble().start(), (x) => x.close());
    const p = await pipelineEnv(r, { SCHEMA_REGISTRY_URL: registry.url, HOOKSTREAM_TOPIC_PARTITIONS: '1' });
    const rx = r.add(await new TestReceiver().start(), (x) => x.close());
    await insertWebhook(p.db, { environment: 'prod', url: `${rx.url}/all`, event_types: ['*'] });
    await startPipeline(r, p);

    const unknownSchemaFrame = Buffer.concat([Buffer.from([0, 0, 0, 0x30, 0x39]), Buffer.from('avro-bytes')]);
    const good = event('prod', 'vendor.created');
    // All on one key → one partition: the good event comes after every poison one.
    await publish(r, p.eventTopic, [
      Buffer.from('this is not json'),
      { event_type: 'vendor.created', environment: 'prod', data: {} }, // no event_id
      { ...event('prod', 'vendor.exploded') }, // not in the taxonomy
      Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x7d]), // invalid UTF-8
      unknownSchemaFrame,
      good,
    ]);
    await waitFor(() => rx.received.length === 1, { message: 'the good event after the poison ones' });
    expect(rx.received[0]!.headers['coverbase-event-id']).toBe(good.event_id);

    const invalid = await readTopic(r, p.names.eventsInvalid, (m) => m.length >= 5);
    expect(invalid).toHaveLength(5);
    const codes = invalid.map((m) => m.headers['hookstream-error-code']);
    expect(codes).toEqual([
      'UNDECODABLE_EVENT',
      'INVALID_ENVELOPE',
      'INVALID_ENVELOPE',
      'UNDECODABLE_EVENT',
      'UNKNOWN_SCHEMA',
    ]);
    expect(invalid[1]!.headers['hookstream-error-message']).toMatch(/event_id/);
    expect(invalid[2]!.headers['hookstream-error-message']).toMatch(/event_type/);
    expect(invalid[4]!.headers['hookstream-error-message']).toMatch(/schema id 12345/);
    expect(invalid[0]!.value!.toString()).toBe('this is not json');
    for (const m of invalid) {
      expect(m.headers['hookstream-source-topic']).toBe(p.eventTopic);
      expect(m.headers['hookstream-source-offset']).toMatch(/^\d+$/);
    }
  });

  it('decodes Confluent-framed Avro events through the schema registry', async () => {
    const registry = r.add(await new SchemaRegistryDouble().start(), (x) => x.close());
    const p = await pipelineEnv(r, { SCHEMA_REGISTRY_URL: registry.url });
    const rx = r.add(await new TestReceiver().start(), (x) => x.close());
    await insertWebhook(p.db, { environment: 'prod', url: `${rx.url}/avro`, event_types: ['assessment.*'] });
    await startPipeline(r, p);

    const id = registry.add(envelopeSchema);
    const client = new SchemaRegistry({ host: registry.url });
    const e = event('prod', 'assessment.completed', { score: 97 });
    const framed = await client.encode(id, {
      event_id: e.event_id,
      event_type: e.event_type,
      environment: e.environment,
      created_at: e.created_at,
      workflow_run_id: 'wr_42',
      data: JSON.stringify(e.data),
    });
    expect(framed[0]).toBe(0);
    await publish(r, p.eventTopic, [framed]);

    await waitFor(() => rx.received.length === 1);
    expect(JSON.parse(rx.received[0]!.body)).toEqual({ ...e, workflow_run_id: 'wr_42' });
  });

  it('does not crash when its event topic does not exist yet, and routes once it appears', async () => {
    const p = await pipelineEnv(r);
    const rx = r.add(await new TestReceiver().start(), (x) => x.close());
    await insertWebhook(p.db, { environment: 'prod', url: `${rx.url}/late`, event_types: ['*'] });
    const lateTopic = `${p.eventTopic}-late`;
    const late = { ...p, config: { ...p.config, eventTopics: [lateTopic] } };
    await startPipeline(r, late);
    await sleep(1_000);
    const admin = await r.admin();
    await ensureTopics(admin, [{ topic: lateTopic, partitions: 1, replication: 1, retentionMs: 86_400_000 }]);
    const e = event('prod', 'vendor.created');
    await publish(r, lateTopic, [e]);
    await waitFor(() => rx.received.length === 1, {
      timeout: 30_000,
      message: 'delivery from the late topic',
    });
    expect(rx.received[0]!.headers['coverbase-event-id']).toBe(e.event_id);
  }, 45_000);

  it('picks up a new, a changed and a disabled webhook within 5 seconds', async () => {
    const p = await pipelineEnv(r, { HOOKSTREAM_WEBHOOK_REFRESH_MS: '2000' });
    const rx = r.add(await new TestReceiver().start(), (x) => x.close());
    await startPipeline(r, p);
    const w = await insertWebhook(p.db, {
      environment: 'prod',
      url: `${rx.url}/new`,
      event_types: ['vendor.created'],
    });
    const t0 = Date.now();
    // Publish repeatedly until the new webhook gets one: that is when the change took effect.
    await waitFor(
      async () => {
        await publish(r, p.eventTopic, [event('prod', 'vendor.created')]);
        return rx.received.length > 0;
      },
      { timeout: 5_000, interval: 250, message: 'new webhook routed within 5 s' },
    );
    expect(Date.now() - t0).toBeLessThan(5_000);

    await webhooksCollection(p.db).updateOne(
      { _id: w.id },
      { $set: { event_types: ['assessment.started'], updated_at: new Date() } },
    );
    await waitFor(
      async () => {
        await publish(r, p.eventTopic, [event('prod', 'assessment.started')]);
        return rx.received.some((x) => x.headers['coverbase-event-type'] === 'assessment.started');
      },
      { timeout: 5_000, interval: 250, message: 'changed event types routed within 5 s' },
    );

    await webhooksCollection(p.db).updateOne(
      { _id: w.id },
      { $set: { enabled: false, updated_at: new Date() } },
    );
    await sleep(5_000);
    const before = rx.received.length;
    await publish(r, p.eventTopic, [event('prod', 'assessment.started')]);
    await sleep(2_000);
    expect(rx.received.length).toBe(before);
  }, 45_000);
});

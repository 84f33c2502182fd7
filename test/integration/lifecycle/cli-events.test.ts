/**
 * `hookstream events deliveries|erase` and `hookstream webhooks disable|enable` in-process through
 * `main()`, on their own database and topics: output on stdout only, the lookup spans webhooks,
 * erase leaves no body, and a manual disable / enable is announced on `<prefix>.operational`.
 */
import { describe, expect, it } from 'vitest';
import { topicNames } from '../../../src/config/topics.js';
import type { OperationalEvent } from '../../../src/core/operational.js';
import { parseTiers } from '../../../src/core/retry-policy.js';
import { ensureTopics, planTopics } from '../../../src/kafka/topics.js';
import { main } from '../../../src/main.js';
import { deliveriesCollection } from '../../../src/mongo/deliveries.js';
import { webhooksCollection } from '../../../src/mongo/webhooks.js';
import { resources, services, uniqueName } from '../../support/helpers.js';
import { readTopic } from '../../support/pipeline.js';
import { deliveryRecord, insertDeliveries, insertWebhook } from './support.js';

function capture() {
  let text = '';
  return {
    write: (s: string) => {
      text += s;
    },
    text: () => text,
  };
}

describe('CLI: events deliveries / erase, webhooks disable / enable', () => {
  const r = resources();

  async function setup() {
    const { db, uri } = await r.mongo();
    const prefix = uniqueName('hscli');
    const env = {
      KAFKA_BROKERS: services().kafkaBrokers.join(','),
      MONGODB_URI: uri,
      HOOKSTREAM_TOPIC_PREFIX: prefix,
      HOOKSTREAM_RETRY_TIERS: '1s',
    };
    const hs = async (...args: string[]) => {
      const stdout = capture();
      const stderr = capture();
      const code = await main(args, { env, stdout, stderr });
      return { code, out: stdout.text(), err: stderr.text() };
    };
    return { db, hs, names: topicNames(prefix, parseTiers('1s')) };
  }

  it('looks one event up across two webhooks, then erases its bodies', async () => {
    const { db, hs } = await setup();
    const a = await insertWebhook(db, 'prod');
    const b = await insertWebhook(db, 'prod');
    const at = new Date();
    await insertDeliveries(db, [
      deliveryRecord('prod', 'evt_cli_1', a._id, at),
      deliveryRecord('prod', 'evt_cli_1', b._id, at),
      deliveryRecord('prod', 'evt_cli_2', a._id, at),
    ]);

    const table = await hs('events', 'deliveries', '--env', 'prod', '--id', 'evt_cli_1');
    expect(table).toMatchObject({ code: 0, err: '' });
    expect(table.out).toMatch(/^DELIVERY\s+WEBHOOK\s+STATUS/);
    expect(table.out).toContain(a._id);
    expect(table.out).toContain(b._id);
    const listed = await hs('events', 'deliveries', '--env', 'prod', '--id', 'evt_cli_1', '--json');
    const found = JSON.parse(listed.out) as { data: { webhook_id: string; event_id: string }[] };
    expect(found.data.map((d) => d.webhook_id).sort()).toEqual([a._id, b._id].sort());
    expect(found.data.every((d) => d.event_id === 'evt_cli_1')).toBe(true);

    const erased = await hs('events', 'erase', '--env', 'prod', '--id', 'evt_cli_1');
    expect(erased.code).toBe(0);
    expect(JSON.parse(erased.out)).toMatchObject({ environment: 'prod', event_id: 'evt_cli_1' });
    expect(JSON.parse(erased.out).deliveries).toHaveLength(2);
    expect(erased.err).toContain('copies on Kafka topics remain');
    const docs = await deliveriesCollection(db).find({ event_id: 'evt_cli_1' }).toArray();
    expect(docs).toHaveLength(2);
    expect(docs.every((d) => d.body === undefined)).toBe(true);
    // The other event keeps its body.
    expect((await deliveriesCollection(db).findOne({ event_id: 'evt_cli_2' }))?.body).toContain('evt_cli_2');

    const none = await hs('events', 'deliveries', '--env', 'staging', '--id', 'evt_cli_1', '--json');
    expect(JSON.parse(none.out).data).toEqual([]);
  });

  it('announces a manual disable and a re-enable on <prefix>.operational', async () => {
    const { db, hs, names } = await setup();
    const admin = await r.admin();
    await ensureTopics(
      admin,
      planTopics(names, { partitions: 1, replication: 1 }).filter((p) => p.topic === names.operational),
    );
    const hook = await insertWebhook(db, 'prod');
    expect((await hs('webhooks', 'disable', '--env', 'prod', '--id', hook._id)).code).toBe(0);
    const disabled = await webhooksCollection(db).findOne({ _id: hook._id });
    expect(disabled).toMatchObject({ enabled: false, disabled_reason: 'manual' });
    const shown = JSON.parse((await hs('webhooks', 'get', '--env', 'prod', '--id', hook._id)).out);
    expect(shown).toMatchObject({ disabled_reason: 'manual', failing_since: null });
    expect(Date.parse(shown.disabled_at)).not.toBeNaN();
    expect((await hs('webhooks', 'enable', '--env', 'prod', '--id', hook._id)).code).toBe(0);

    const parse = (m: { value: Buffer | null }[]) =>
      m.map((x) => JSON.parse(String(x.value)) as OperationalEvent);
    const events = parse(await readTopic(r, names.operational, (m) => m.length >= 2));
    expect(events.map((e) => [e.event_type, e.data.webhook_id])).toEqual([
      ['webhook.disabled', hook._id],
      ['webhook.enabled', hook._id],
    ]);
    expect(events[0]!.data).toMatchObject({ reason: 'manual' });
  });
});

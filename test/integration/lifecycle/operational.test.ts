/**
 * Operational events on real Kafka: two senders' health writers race to disable one webhook, and
 * exactly one `webhook.disabled` appears on `<prefix>.operational`, valid against its schema.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { topicNames } from '../../../src/config/topics.js';
import { newId } from '../../../src/core/ids.js';
import { webhookDisabled, webhookEnabled } from '../../../src/core/operational.js';
import { parseTiers } from '../../../src/core/retry-policy.js';
import { connectOperationalPublisher } from '../../../src/kafka/operational-publisher.js';
import { ensureTopics, planTopics } from '../../../src/kafka/topics.js';
import { type DisabledWebhook, WebhookHealthWriter } from '../../../src/mongo/webhook-health.js';
import { resources, testLogger, uniqueName } from '../../support/helpers.js';
import { readTopic } from '../../support/pipeline.js';
import { insertWebhook } from './support.js';

const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;
const ajv = new Ajv2020({ strict: true });
addFormats(ajv);
const validate = ajv.compile(
  JSON.parse(
    readFileSync(new URL('../../../schemas/operational-event.schema.json', import.meta.url), 'utf8'),
  ),
);

describe('operational events', () => {
  const r = resources();

  it('one webhook.disabled per disabled webhook, however many senders saw it fail', async () => {
    const { db } = await r.mongo();
    const names = topicNames(uniqueName('hsops'), parseTiers('1s'));
    const kafka = r.kafka();
    const admin = await r.admin(kafka);
    const plan = planTopics(names, { partitions: 1, replication: 1 }).filter(
      (p) => p.topic === names.operational,
    );
    expect(plan).toHaveLength(1);
    await ensureTopics(admin, plan);
    const publisher = r.add(
      await connectOperationalPublisher(kafka, { topic: names.operational, logger: testLogger }),
      (p) => p.close(),
    );
    const report = (disabled: readonly DisabledWebhook[]) =>
      publisher.publish(
        disabled.map((d) =>
          webhookDisabled({
            eventId: newId('opx', randomBytes(16)),
            now: d.disabled_at,
            environment: d.environment,
            webhookId: d.webhook_id,
            reason: 'persistent_failure',
            failingSince: d.failing_since,
            failedAttempts: d.failed_attempts,
          }),
        ),
      );

    const hook = await insertWebhook(db, 'prod');
    const policy = { disableAfterMs: 2_000, minAttempts: 3 };
    const senders = [1, 2, 3].map(
      () => new WebhookHealthWriter({ db, policy, logger: testLogger, onDisabled: report }),
    );
    const t0 = Date.now() - 10_000;
    for (const w of senders)
      for (let i = 0; i < 5; i++) w.record(hook._id, { ok: false, at: new Date(t0 + i * 1000) });
    await Promise.all(senders.map((w) => w.close()));

    // A marker published after every writer closed: once it is read, everything before it was too.
    await publisher.publish([
      webhookEnabled({ eventId: 'marker', now: new Date(), environment: 'prod', webhookId: 'wh_marker' }),
    ]);
    const messages = await readTopic(r, names.operational, (m) =>
      m.some((x) => x.value?.toString().includes('wh_marker')),
    );
    const events = messages.map((m) => JSON.parse(m.value!.toString()));
    for (const e of events) expect(validate(e), JSON.stringify(validate.errors)).toBe(true);
    const disabled = events.filter((e) => e.event_type === 'webhook.disabled');
    expect(disabled).toHaveLength(1);
    expect(disabled[0].data).toMatchObject({
      webhook_id: hook._id,
      reason: 'persistent_failure',
      failed_attempts: 5,
    });
  });
});

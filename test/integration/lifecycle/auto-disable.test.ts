/**
 * The "Done when", on real Kafka and MongoDB with the real router and sender roles
 * (`startPipeline`): with HOOKSTREAM_DISABLE_AFTER=10s and second-scale tiers, an always-failing
 * webhook is disabled (`persistent_failure`), exactly one `webhook.disabled` appears on
 * `<prefix>.operational`, and later events are no longer sent to it; a flapping webhook that
 * succeeds now and then stays enabled. Re-enabling through the services publishes `webhook.enabled`
 * and starts the failure clock again.
 */
import { describe, expect, it } from 'vitest';
import type { OperationalEvent } from '../../../src/core/operational.js';
import { connectOperationalPublisher } from '../../../src/kafka/operational-publisher.js';
import type { WebhookWithHealth } from '../../../src/mongo/webhook-health.js';
import { webhooksCollection } from '../../../src/mongo/webhooks.js';
import { createServiceContext } from '../../../src/services/context.js';
import { getWebhook, updateWebhook } from '../../../src/services/webhooks.js';
import { resources, testLogger, waitFor } from '../../support/helpers.js';
import {
  event,
  insertWebhook,
  pipelineEnv,
  publish,
  readTopic,
  startPipeline,
} from '../../support/pipeline.js';
import { TestReceiver } from '../../support/receiver.js';

const operationalEvents = (msgs: { value: Buffer | null }[]): OperationalEvent[] =>
  msgs.map((m) => JSON.parse(String(m.value)) as OperationalEvent);

describe('auto-disable on real Kafka and MongoDB', () => {
  const r = resources();

  it('disables an always-failing webhook once, stops sending to it, and leaves a flapping one enabled', async () => {
    const p = await pipelineEnv(r, {
      HOOKSTREAM_DISABLE_AFTER: '10s',
      HOOKSTREAM_DISABLE_MIN_ATTEMPTS: '5',
      HOOKSTREAM_RETRY_TIERS: '1s,2s,4s',
      HOOKSTREAM_RETRY_BUDGET: '20s',
    });
    let flapRequests = 0;
    const rx = r.add(
      await new TestReceiver((req) => {
        if (req.path === '/down') return { status: 503 };
        flapRequests++;
        return { status: flapRequests % 3 === 0 ? 200 : 503 };
      }).start(),
      (x) => x.close(),
    );
    const down = await insertWebhook(p.db, {
      environment: 'prod',
      url: `${rx.url}/down`,
      event_types: ['*'],
    });
    const flap = await insertWebhook(p.db, {
      environment: 'prod',
      url: `${rx.url}/flap`,
      event_types: ['*'],
    });
    await startPipeline(r, p);

    await publish(r, p.eventTopic, [event('prod', 'vendor.created'), event('prod', 'vendor.created')]);
    await waitFor(() => rx.at('/down').length >= 4, { timeout: 20_000 });
    await publish(r, p.eventTopic, [event('prod', 'vendor.created')]);

    const disabled = await waitFor(
      async () => {
        const doc = (await webhooksCollection(p.db).findOne({ _id: down.id })) as WebhookWithHealth | null;
        return doc && !doc.enabled ? doc : null;
      },
      { timeout: 45_000, message: 'the always-failing webhook is disabled' },
    );
    expect(disabled).toMatchObject({ disabled_reason: 'persistent_failure' });
    expect(disabled.failed_attempts).toBeGreaterThanOrEqual(5);
    expect(disabled.disabled_at!.getTime() - disabled.failing_since!.getTime()).toBeGreaterThanOrEqual(
      10_000,
    );

    // The API's view of it.
    const ctx = createServiceContext({ db: p.db, config: p.config, logger: testLogger });
    expect(await getWebhook(ctx, 'prod', down.id)).toMatchObject({
      enabled: false,
      disabled_reason: 'persistent_failure',
      failing_since: disabled.failing_since!.toISOString(),
      disabled_at: disabled.disabled_at!.toISOString(),
    });

    // Later events reach the flapping webhook but not the disabled one. The router refreshes
    // every 500 ms; a marker event, delivered to /flap, shows the later ones were routed.
    await waitFor(async () => {
      const before = rx.at('/flap').length;
      await publish(r, p.eventTopic, [event('prod', 'vendor.created')]);
      return waitFor(() => rx.at('/flap').length > before, { timeout: 10_000 });
    });
    const downAfterDisable = rx.at('/down').length;
    const later = [event('prod', 'vendor.created'), event('prod', 'vendor.created')];
    await publish(r, p.eventTopic, later);
    await waitFor(
      () => later.every((e) => rx.at('/flap').some((q) => JSON.parse(q.body).event_id === e.event_id)),
      { timeout: 20_000, message: 'the later events reach the flapping webhook' },
    );
    expect(rx.at('/down').length).toBe(downAfterDisable);
    expect(rx.at('/down').some((q) => later.some((e) => q.body.includes(e.event_id)))).toBe(false);

    const isDisabled = (e: OperationalEvent) => e.event_type === 'webhook.disabled';
    const ops = operationalEvents(
      await readTopic(r, p.names.operational, (m) => operationalEvents(m).some(isDisabled)),
    );
    expect(ops.filter(isDisabled)).toEqual([
      expect.objectContaining({
        event_type: 'webhook.disabled',
        environment: 'prod',
        data: expect.objectContaining({ webhook_id: down.id, reason: 'persistent_failure' }),
      }),
    ]);

    const flapDoc = await webhooksCollection(p.db).findOne({ _id: flap.id });
    expect(flapDoc).toMatchObject({ enabled: true, disabled_reason: null });
    expect(flapRequests).toBeGreaterThan(6);

    // Re-enabling resets the clock and tells upstream.
    const publisher = r.add(
      await connectOperationalPublisher(r.kafka(), { topic: p.names.operational, logger: testLogger }),
      (x) => x.close(),
    );
    const withEvents = createServiceContext({
      db: p.db,
      config: p.config,
      logger: testLogger,
      publishOperational: (events) => publisher.publish(events),
    });
    expect(await updateWebhook(withEvents, 'prod', down.id, { enabled: true })).toMatchObject({
      enabled: true,
      failing_since: null,
      disabled_reason: null,
      disabled_at: null,
    });
    const enabled = await readTopic(r, p.names.operational, (m) =>
      operationalEvents(m).some((e) => e.event_type === 'webhook.enabled'),
    );
    expect(operationalEvents(enabled).filter((e) => e.event_type === 'webhook.enabled')).toEqual([
      expect.objectContaining({
        environment: 'prod',
        data: expect.objectContaining({ webhook_id: down.id }),
      }),
    ]);
    const reset = (await webhooksCollection(p.db).findOne({ _id: down.id })) as WebhookWithHealth;
    expect(reset).toMatchObject({ enabled: true, failed_attempts: 0, failing_since: null });
    expect(reset.health_reset_at).toBeInstanceOf(Date);
  }, 120_000);

  it('publishes one delivery.exhausted per delivery dead-lettered for its spent budget', async () => {
    const p = await pipelineEnv(r, {
      HOOKSTREAM_DISABLE_AFTER: '0',
      HOOKSTREAM_RETRY_TIERS: '1s,2s',
      HOOKSTREAM_RETRY_BUDGET: '4s',
    });
    const rx = r.add(await new TestReceiver(() => ({ status: 500 })).start(), (x) => x.close());
    const hook = await insertWebhook(p.db, {
      environment: 'prod',
      url: `${rx.url}/down`,
      event_types: ['*'],
    });
    await startPipeline(r, p);
    const events = [
      event('prod', 'vendor.created'),
      event('prod', 'vendor.created'),
      event('prod', 'vendor.created'),
    ];
    await publish(r, p.eventTopic, events);

    const isExhausted = (e: OperationalEvent) => e.event_type === 'delivery.exhausted';
    const ops = operationalEvents(
      await readTopic(
        r,
        p.names.operational,
        (m) => operationalEvents(m).filter(isExhausted).length >= events.length,
        40_000,
      ),
    ).filter(isExhausted);
    expect(ops.map((e) => e.data.event_id).sort()).toEqual(events.map((e) => e.event_id).sort());
    expect(new Set(ops.map((e) => e.event_id)).size).toBe(events.length);
    for (const e of ops) {
      if (e.event_type !== 'delivery.exhausted') continue;
      expect(e.data).toMatchObject({
        webhook_id: hook.id,
        failure_reason: 'budget_exhausted',
        last_error: { outcome: 'http_5xx', status_code: 500 },
      });
    }
    const records = await p.db
      .collection('deliveries')
      .find({ webhook_id: hook.id, failure_reason: 'budget_exhausted' })
      .toArray();
    expect(records.map((d) => d._id).sort()).toEqual(ops.map((e) => e.data.delivery_id).sort());
    // The webhook failed throughout, but HOOKSTREAM_DISABLE_AFTER=0 never disables.
    expect(await webhooksCollection(p.db).findOne({ _id: hook.id })).toMatchObject({ enabled: true });
  }, 90_000);
  it('a 410 disables at once, sets disabled_at and publishes one webhook.disabled (gone_410)', async () => {
    const p = await pipelineEnv(r, { HOOKSTREAM_RETRY_TIERS: '1s', HOOKSTREAM_RETRY_BUDGET: '5s' });
    const rx = r.add(await new TestReceiver(() => ({ status: 410 })).start(), (x) => x.close());
    const gone = await insertWebhook(p.db, {
      environment: 'prod',
      url: `${rx.url}/gone`,
      event_types: ['*'],
    });
    await startPipeline(r, p);
    await publish(r, p.eventTopic, [event('prod', 'vendor.created'), event('prod', 'vendor.created')]);

    const isDisabled = (e: OperationalEvent) => e.event_type === 'webhook.disabled';
    const ops = operationalEvents(
      await readTopic(r, p.names.operational, (m) => operationalEvents(m).some(isDisabled)),
    );
    expect(ops.filter(isDisabled)).toEqual([
      expect.objectContaining({ data: expect.objectContaining({ webhook_id: gone.id, reason: 'gone_410' }) }),
    ]);
    const doc = (await webhooksCollection(p.db).findOne({ _id: gone.id })) as WebhookWithHealth;
    expect(doc).toMatchObject({ enabled: false, disabled_reason: 'gone' });
    expect(doc.disabled_at).toBeInstanceOf(Date);
  }, 60_000);
});

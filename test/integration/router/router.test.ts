import { describe, expect, it } from 'vitest';
import { metrics } from '../../../src/observability/metrics.js';
import { resources, waitFor } from '../../support/helpers.js';
import {
  event,
  insertWebhook,
  pipelineEnv,
  publish,
  readTopic,
  startPipeline,
} from '../../support/pipeline.js';
import { TestReceiver } from '../../support/receiver.js';

/**
 * ~999,990 bytes of event whose data holds embedded JSON: every quote escapes once more inside the
 * job, so the job (~1.6 MB) cannot fit in a 1 MiB record although the event is under the 1 MB limit.
 */
function hugeEvent(environment: string) {
  const base = event(environment, 'contract.analyzed');
  const skeleton = JSON.stringify({ ...base, data: { report: '' } }).length;
  const unit = '{"k":"v"}'; // 13 bytes once escaped in the event
  const report = unit.repeat(Math.floor((999_990 - skeleton) / 13));
  const e = { ...base, data: { report } };
  return { e, size: Buffer.byteLength(JSON.stringify(e)) };
}

const duplicates = async () => (await metrics.eventsDuplicate.get()).values[0]?.value ?? 0;

describe('router: never stalls, routes an event once (real Kafka and MongoDB)', () => {
  const r = resources();

  it('quarantines an event whose job cannot fit (job_too_large) and delivers the next one within 10 s', async () => {
    const p = await pipelineEnv(r, { HOOKSTREAM_TOPIC_PARTITIONS: '1' });
    const rx = r.add(await new TestReceiver().start(), (x) => x.close());
    await insertWebhook(p.db, { environment: 'prod', url: `${rx.url}/all`, event_types: ['*'] });
    await startPipeline(r, p);

    const { e: big, size } = hugeEvent('prod');
    expect(size).toBeGreaterThan(999_900);
    expect(size).toBeLessThanOrEqual(1_000_000);
    const normal = event('prod', 'vendor.created');
    await publish(r, p.eventTopic, [big]);
    await publish(r, p.eventTopic, [normal]);
    const t0 = Date.now();
    await waitFor(() => rx.received.length >= 1, {
      timeout: 10_000,
      message: 'the normal event after the big one',
    });
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(rx.received.map((x) => x.headers['coverbase-event-id'])).toEqual([normal.event_id]);

    const invalid = await readTopic(r, p.names.eventsInvalid, (m) => m.length >= 1);
    expect(invalid).toHaveLength(1);
    expect(invalid[0]!.headers).toMatchObject({
      'hookstream-error-code': 'JOB_TOO_LARGE',
      'hookstream-error-reason': 'job_too_large',
      'hookstream-event-id': big.event_id,
      'hookstream-source-topic': p.eventTopic,
    });
    expect(invalid[0]!.value!.length).toBe(size);
    // Both offsets are committed: the partition moved past the big event.
    const admin = await r.admin();
    await waitFor(
      async () => {
        const [t] = await admin.fetchOffsets({ groupId: p.names.routerGroup, topics: [p.eventTopic] });
        return t!.partitions[0]!.offset === '2';
      },
      { message: 'router committed past both events' },
    );
  }, 60_000);

  it('delivers an event produced twice upstream once per matching webhook', async () => {
    const p = await pipelineEnv(r, { HOOKSTREAM_TOPIC_PARTITIONS: '1' });
    const rx = r.add(await new TestReceiver().start(), (x) => x.close());
    await insertWebhook(p.db, { environment: 'prod', url: `${rx.url}/a`, event_types: ['vendor.*'] });
    await insertWebhook(p.db, { environment: 'prod', url: `${rx.url}/b`, event_types: ['*'] });
    await insertWebhook(p.db, { environment: 'prod', url: `${rx.url}/c`, event_types: ['assessment.*'] });
    await startPipeline(r, p);
    const before = await duplicates();

    const e = event('prod', 'vendor.created');
    await publish(r, p.eventTopic, [e, e]); // one batch (a producer retry)
    await waitFor(() => rx.received.length >= 2, { message: 'the first copy delivered' });
    await publish(r, p.eventTopic, [e]); // later (a re-read source topic)
    // Same partition: once the sentinel is delivered, every copy before it has been routed.
    const sentinel = event('prod', 'vendor.status_changed');
    await publish(r, p.eventTopic, [sentinel]);
    await waitFor(
      () => rx.received.filter((x) => x.headers['coverbase-event-id'] === sentinel.event_id).length === 2,
    );

    const ofEvent = rx.received.filter((x) => x.headers['coverbase-event-id'] === e.event_id);
    expect(ofEvent.map((x) => x.path).sort()).toEqual(['/a', '/b']);
    expect((await duplicates()) - before).toBe(2);
  }, 60_000);

  it('routes repeats again when HOOKSTREAM_DEDUPE_WINDOW=0 (deduplication off)', async () => {
    const p = await pipelineEnv(r, { HOOKSTREAM_TOPIC_PARTITIONS: '1', HOOKSTREAM_DEDUPE_WINDOW: '0' });
    const rx = r.add(await new TestReceiver().start(), (x) => x.close());
    await insertWebhook(p.db, { environment: 'prod', url: `${rx.url}/a`, event_types: ['*'] });
    await startPipeline(r, p);
    const e = event('prod', 'vendor.created');
    await publish(r, p.eventTopic, [e, e]);
    await waitFor(() => rx.received.length === 2, {
      message: `both copies delivered (received ${rx.received.length})`,
    });
    expect(await p.db.collection('events_seen').countDocuments()).toBe(0);
  }, 60_000);
});

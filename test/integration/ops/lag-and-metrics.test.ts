import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { deliveryId } from '../../../src/core/ids.js';
import { type DeliveryJob, encodeJob } from '../../../src/core/job.js';
import { LagCollector } from '../../../src/observability/lag.js';
import { registry } from '../../../src/observability/metrics.js';
import { OpsServer } from '../../../src/observability/ops-server.js';
import { resources, sleep, testLogger, waitFor } from '../../support/helpers.js';
import { event, insertWebhook, pipelineEnv, publish, startPipeline } from '../../support/pipeline.js';
import { spawnRole } from '../../support/processes.js';
import { TestReceiver } from '../../support/receiver.js';

function job(webhookId: string, dueAt: number, attempt = 2): DeliveryJob {
  const eventId = `evt_${randomBytes(6).toString('hex')}`;
  return {
    delivery_id: deliveryId(eventId, webhookId),
    event_id: eventId,
    event_type: 'vendor.created',
    environment: 'prod',
    webhook_id: webhookId,
    attempt,
    first_attempt_at: dueAt - 1_000,
    due_at: dueAt,
    created_at: new Date(dueAt - 1_000).toISOString(),
    body: '{}',
  };
}

describe('consumer lag and overdue time on real Kafka', () => {
  const r = resources();

  async function produceJobs(topic: string, jobs: DeliveryJob[]) {
    const producer = r.add(r.kafka().producer(), (p) => p.disconnect());
    await producer.connect();
    await producer.send({
      topic,
      acks: -1,
      messages: jobs.map((j) => ({ key: j.webhook_id, value: encodeJob(j) })),
    });
  }

  function collector(p: Awaited<ReturnType<typeof pipelineEnv>>) {
    return r.add(
      new LagCollector({ kafka: r.kafka(), logger: testLogger, names: p.names, eventTopics: [p.eventTopic] }),
      (c) => c.close(),
    );
  }

  it('a tier with parked jobs shows lag but zero overdue', async () => {
    const p = await pipelineEnv(r, { HOOKSTREAM_TOPIC_PARTITIONS: '1' });
    const tier = p.names.retry[2]!; // 4s
    await produceJobs(
      tier.topic,
      Array.from({ length: 5 }, () => job('wh_parked', Date.now() + 3_600_000)),
    );
    const rows = await collector(p).collect();
    const row = rows.find((x) => x.topic === tier.topic)!;
    expect(row).toMatchObject({
      group: tier.group,
      stage: '4s',
      partition: 0,
      committed: null,
      end: 5,
      lag: 5,
      overdueSeconds: 0,
    });
    expect(rows.find((x) => x.topic === p.names.deliveries)).toMatchObject({ lag: 0, overdueSeconds: 0 });
  });

  it('a stopped sender shows overdue time growing, and zero again once a sender catches up', async () => {
    const p = await pipelineEnv(r, { HOOKSTREAM_TOPIC_PARTITIONS: '1' });
    const rx = r.add(await new TestReceiver().start(), (x) => x.close());
    const w = await insertWebhook(p.db, { environment: 'prod', url: `${rx.url}/late`, event_types: ['*'] });
    const tier = p.names.retry[0]!; // 1s
    await produceJobs(tier.topic, [job(w.id, Date.now() - 2_000), job(w.id, Date.now() - 1_000)]);
    const c = collector(p);
    const first = (await c.collect()).find((x) => x.topic === tier.topic)!;
    expect(first.lag).toBe(2);
    expect(first.overdueSeconds).toBeGreaterThanOrEqual(2);
    await sleep(1_500);
    const second = (await c.collect()).find((x) => x.topic === tier.topic)!;
    expect(second.overdueSeconds!).toBeGreaterThan(first.overdueSeconds! + 1);

    await startPipeline(r, p, { router: false, senders: '1s' });
    await waitFor(() => rx.received.length === 2, { timeout: 30_000 });
    const after = await waitFor(
      async () => {
        const row = (await c.collect()).find((x) => x.topic === tier.topic)!;
        return row.lag === 0 ? row : null;
      },
      { timeout: 15_000, interval: 500 },
    );
    expect(after).toMatchObject({ committed: 2, end: 2, lag: 0, overdueSeconds: 0 });
  }, 60_000);

  it('`hookstream lag` prints a table an operator can read', async () => {
    const p = await pipelineEnv(r, { HOOKSTREAM_TOPIC_PARTITIONS: '1' });
    await produceJobs(p.names.retry[1]!.topic, [job('wh_x', Date.now() + 60_000)]);
    const cli = spawnRole(['lag'], p.env);
    expect((await cli.exited).code, cli.output()).toBe(0);
    const out = cli.output();
    expect(out).toMatch(/^GROUP\s+TOPIC\s+PARTITION\s+COMMITTED\s+END\s+LAG\s+OVERDUE/m);
    expect(out).toContain(`${p.names.retry[1]!.group}  ${p.names.retry[1]!.topic}`);
    expect(out).toMatch(/2s: lag 1, overdue 0s/);
  });
});

describe('metrics and health endpoints', () => {
  const r = resources();

  it('exports delivery metrics with bounded labels, and answers /healthz and /readyz', async () => {
    const p = await pipelineEnv(r);
    const rx = r.add(await new TestReceiver().start(), (x) => x.close());
    const w = await insertWebhook(p.db, { environment: 'prod', url: `${rx.url}/m`, event_types: ['*'] });
    const ops = r.add(new OpsServer(testLogger), (o) => o.close());
    const port = await ops.listen(0, '127.0.0.1');
    ops.check('pipeline', () => true);
    await startPipeline(r, p);
    await publish(r, p.eventTopic, [event('prod', 'vendor.created')]);
    await waitFor(() => rx.received.length === 1);

    const base = `http://127.0.0.1:${port}`;
    const metricsText = await waitFor(async () => {
      const text = await (await fetch(`${base}/metrics`)).text();
      return /hookstream_attempts_total\{tier="deliveries",outcome="success"\} [1-9]/.test(text)
        ? text
        : null;
    });
    for (const name of [
      'hookstream_attempt_duration_seconds_bucket',
      'hookstream_events_routed_total',
      'hookstream_events_matched_total',
      'hookstream_end_to_end_seconds_bucket',
      'hookstream_dispatch_lateness_seconds_bucket',
      'hookstream_in_flight_attempts',
      'process_resident_memory_bytes',
      'hookstream_build_info',
    ]) {
      expect(metricsText).toContain(name);
    }
    expect(metricsText).not.toContain(w.id);
    expect(metricsText).not.toContain(rx.url);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { pipeline: true } });
    ops.check('mongodb', () => false);
    expect((await fetch(`${base}/readyz`)).status).toBe(503);
    expect(await registry.getSingleMetricAsString('hookstream_attempts_total')).toMatch(/outcome="success"/);
  });

  it('the collector exports lag and overdue gauges', async () => {
    const p = await pipelineEnv(r, { HOOKSTREAM_TOPIC_PARTITIONS: '1' });
    const c = r.add(
      new LagCollector({ kafka: r.kafka(), logger: testLogger, names: p.names, eventTopics: [p.eventTopic] }),
      (x) => x.close(),
    );
    const producer = r.add(r.kafka().producer(), (x) => x.disconnect());
    await producer.connect();
    await producer.send({
      topic: p.names.retry[0]!.topic,
      messages: [{ value: encodeJob(job('wh_m', Date.now() - 5_000)) }],
    });
    c.start(200);
    const text = await waitFor(async () => {
      const t = await registry.metrics();
      return new RegExp(
        `hookstream_consumer_lag\\{group="${p.names.retry[0]!.group}",topic="${p.names.retry[0]!.topic.replace(/\./g, '\\.')}",partition="0"\\} 1`,
      ).test(t)
        ? t
        : null;
    });
    expect(text).toMatch(/hookstream_tier_overdue_seconds\{tier="1s"\} (?:[5-9]|\d{2,})/);
  });
});

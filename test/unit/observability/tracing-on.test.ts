/**
 * Tracing on, in-process: a router batch exports route and produce spans to a local OTLP/HTTP
 * collector, continues the record's traceparent header, and writes the route span's context into
 * the job. (The multi-process, multi-tier trace is test/integration/tracing.)
 */
import type { KafkaMessage } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJob } from '../../../src/core/job.js';
import { activeTracer, initTracing } from '../../../src/observability/tracing.js';
import type { Component } from '../../../src/roles/lifecycle.js';
import { TestCollector } from '../../integration/tracing/collector.js';
import { testLogger } from '../../support/helpers.js';
import { batchOf, envelope, kafkaMessage } from '../router/support.js';
import { tracedRouter } from './tracing-fixtures.js';

const UPSTREAM_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const UPSTREAM_SPAN = '00f067aa0ba902b7';

describe('tracing on', () => {
  let collector: TestCollector;
  let tracing: Component;

  beforeAll(async () => {
    collector = await new TestCollector().start();
    tracing = (await initTracing(
      { OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, OTEL_SERVICE_NAME: 'unit' },
      { role: 'router', version: 'test' },
      testLogger,
    ))!;
  });
  afterAll(async () => {
    await tracing?.close();
    await collector.close();
  });

  it('continues the traceparent header, puts the route span on the job, exports on close', async () => {
    expect(activeTracer()).not.toBeNull();
    const { router, producer: f } = tracedRouter(['wh_a', 'wh_b']);
    const headers = { traceparent: Buffer.from(`00-${UPSTREAM_TRACE}-${UPSTREAM_SPAN}-01`) };
    const { batch } = batchOf([
      { ...kafkaMessage(4, envelope({ event_id: 'e1' })), headers } as KafkaMessage,
      kafkaMessage(5, envelope({ event_id: 'e2', environment: 'nobody' })),
    ]);
    expect(await router.handle(batch)).toEqual({ last: '5' });
    await tracing.close();
    expect(activeTracer()).toBeNull();

    const route = collector.spans.find(
      (s) => s.name === 'hookstream.route' && s.attributes['hookstream.event_id'] === 'e1',
    )!;
    expect(route).toMatchObject({ traceId: UPSTREAM_TRACE, parentSpanId: UPSTREAM_SPAN });
    expect(route.attributes).toMatchObject({
      'hookstream.route': 'jobs',
      'hookstream.jobs': 2,
      'messaging.kafka.offset': 4,
    });
    expect(route.resource).toMatchObject({ 'service.name': 'unit', 'hookstream.role': 'router' });
    const produce = collector.spans.find((s) => s.name === 'hookstream.produce')!;
    expect(produce).toMatchObject({ traceId: UPSTREAM_TRACE, parentSpanId: route.spanId });
    // Both jobs carry the route span's context; the unmatched event has a root route span of its own.
    const jobs = f.on('deliveries').map((m) => decodeJob(m.value as Buffer));
    expect(jobs.map((j) => j.traceparent)).toEqual([
      `00-${UPSTREAM_TRACE}-${route.spanId}-01`,
      `00-${UPSTREAM_TRACE}-${route.spanId}-01`,
    ]);
    const unmatched = collector.spans.find((s) => s.attributes['hookstream.event_id'] === 'e2')!;
    expect(unmatched).toMatchObject({ name: 'hookstream.route', parentSpanId: '' });
    expect(unmatched.attributes['hookstream.route']).toBe('unmatched');
    expect(collector.rejected).toEqual([]);
  });
});

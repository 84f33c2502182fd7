/**
 * Tracing end to end: the router and a sender run as real processes with the standard OTEL_*
 * variables pointing at a test OTLP/HTTP collector; a delivery that fails once and succeeds in the
 * first retry tier arrives as ONE trace — route, produce, both attempts, the retry produce.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { resources, waitFor } from '../../support/helpers.js';
import { event, insertWebhook, pipelineEnv, publish } from '../../support/pipeline.js';
import { spawnRole, stopRole } from '../../support/processes.js';
import { TestReceiver } from '../../support/receiver.js';
import { type CollectedSpan, spanTree, TestCollector } from './collector.js';

describe('OpenTelemetry tracing (router and sender processes, real Kafka and MongoDB)', () => {
  const r = resources();

  it('exports one trace per delivery: route, produce and both attempts of a retried delivery', async () => {
    const collector = r.add(await new TestCollector().start(), (c) => c.close());
    // Fails each delivery's first attempt, accepts the second (tier 1s).
    // /hook fails each delivery's first attempt and accepts the second (tier 1s); /gone answers 410.
    const rx = r.add(
      await new TestReceiver((req, n) => ({
        status: req.path === '/gone' ? 410 : n === 1 ? 500 : 200,
      })).start(),
      (x) => x.close(),
    );
    const p = await pipelineEnv(r, { HOOKSTREAM_RETRY_TIERS: '1s,2s', HOOKSTREAM_TRACE_PROPAGATE: 'true' });
    await insertWebhook(p.db, { environment: 'prod', url: `${rx.url}/hook`, event_types: ['*'] });
    // Only the first event goes here too: its trace also shows a dead letter.
    await insertWebhook(p.db, {
      environment: 'prod',
      url: `${rx.url}/gone`,
      event_types: ['vendor.created'],
    });
    const otel = {
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
      OTEL_BSP_SCHEDULE_DELAY: '200',
      OTEL_SERVICE_NAME: 'hookstream-test',
    };
    const router = r.add(spawnRole(['router'], { ...p.env, ...otel, LOG_LEVEL: 'info' }), (x) => stopRole(x));
    const sender = r.add(
      spawnRole(['sender', '--tier', 'all'], { ...p.env, ...otel, LOG_LEVEL: 'info' }),
      (x) => stopRole(x),
    );
    await waitFor(
      () => /hookstream started/.test(router.output()) && /hookstream started/.test(sender.output()),
      {
        timeout: 60_000,
        message: 'router and sender started',
      },
    );
    expect(router.output()).toMatch(/OpenTelemetry tracing on/);

    // One event continues an upstream trace (traceparent header); one starts its trace at the router.
    const upstreamTrace = randomBytes(16).toString('hex');
    const upstreamSpan = randomBytes(8).toString('hex');
    const withHeader = event('prod', 'vendor.created');
    const withoutHeader = event('prod', 'vendor.status_changed');
    await publish(
      r,
      p.eventTopic,
      [withHeader, withoutHeader],
      [{ traceparent: `00-${upstreamTrace}-${upstreamSpan}-01` }],
    );

    const attemptsOf = (eventId: string) =>
      collector.spans.filter(
        (s) => s.name === 'hookstream.attempt' && s.attributes['hookstream.event_id'] === eventId,
      );
    try {
      await waitFor(
        () =>
          attemptsOf(withHeader.event_id).length === 3 &&
          attemptsOf(withoutHeader.event_id).length === 2 &&
          collector.spans.some((s) => s.name === 'hookstream.dead_letter'),
        {
          timeout: 60_000,
          message: 'both attempts of both deliveries exported',
        },
      );
    } catch (err) {
      // Say where it stopped: which spans arrived, and what the processes logged.
      process.stderr.write(
        `spans so far: ${collector.spans.map((x) => x.name).join(', ')}; requests received: ${rx.received.length}\n` +
          `router output:\n${router.output().slice(-3_000)}\nsender output:\n${sender.output().slice(-3_000)}\n`,
      );
      throw err;
    }
    // Everything the processes still hold is exported when they stop (tracing closes last).
    await stopRole(sender);
    await stopRole(router);
    expect(collector.rejected).toEqual([]);

    // The event with a traceparent header: its trace is the upstream one, the route span its child.
    const continued = collector.trace(upstreamTrace);
    const route = one(continued, 'hookstream.route');
    expect(route.parentSpanId).toBe(upstreamSpan);
    expect(route.attributes).toMatchObject({
      'hookstream.event_id': withHeader.event_id,
      'hookstream.route': 'jobs',
      'hookstream.jobs': 2,
      'messaging.destination.name': p.eventTopic,
    });
    expect(route.resource).toMatchObject({ 'service.name': 'hookstream-test', 'hookstream.role': 'router' });
    const produce = continued.find(
      (s) =>
        s.name === 'hookstream.produce' && s.attributes['messaging.destination.name'] === p.names.deliveries,
    );
    expect(produce?.parentSpanId).toBe(route.spanId);

    const attempts = continued
      .filter((s) => s.name === 'hookstream.attempt' && s.attributes['http.response.status_code'] !== 410)
      .sort((a, b) => a.startMs - b.startMs);
    expect(attempts.map((a) => a.attributes)).toMatchObject([
      {
        'hookstream.tier': 'deliveries',
        'hookstream.attempt': 1,
        'http.response.status_code': 500,
        'hookstream.outcome': 'http_5xx',
        'hookstream.decision': 'retry',
        'hookstream.next_tier': '1s',
      },
      {
        'hookstream.tier': '1s',
        'hookstream.attempt': 2,
        'http.response.status_code': 200,
        'hookstream.outcome': 'success',
        'hookstream.decision': 'succeeded',
      },
    ]);
    expect(attempts.map((a) => a.statusCode)).toEqual([2, 0]);
    // Both attempts hang off the route span, across the tier: the job carried the context.
    for (const a of attempts) {
      expect(a.parentSpanId).toBe(route.spanId);
      expect(a.resource['hookstream.role']).toBe('sender-all');
    }
    const retryProduce = continued.find(
      (s) => s.name === 'hookstream.produce' && s.attributes['hookstream.tier'] === '1s',
    );
    expect(retryProduce?.parentSpanId).toBe(route.spanId);
    // The 410 of the other webhook: one attempt, then a dead letter, in the same trace.
    const deadLetter = one(continued, 'hookstream.dead_letter');
    expect(deadLetter.parentSpanId).toBe(route.spanId);
    expect(deadLetter.attributes).toMatchObject({
      'hookstream.dead_letter_reason': 'webhook_gone',
      'messaging.destination.name': p.names.deadLetter,
    });
    // No URL and no secret in any attribute.
    for (const s of collector.spans) expect(JSON.stringify(s.attributes)).not.toMatch(/http:\/\/|whsec_/);

    // HOOKSTREAM_TRACE_PROPAGATE=true: each POST carried its own attempt span's traceparent.
    const posts = rx.at('/hook').filter((q) => q.headers['coverbase-event-id'] === withHeader.event_id);
    expect(posts.map((q) => q.headers.traceparent)).toEqual(
      attempts.map((a) => `00-${upstreamTrace}-${a.spanId}-01`),
    );

    // The event without a header: the router starts a trace, with the same shape.
    const started = collector.spans.find(
      (s) => s.name === 'hookstream.route' && s.attributes['hookstream.event_id'] === withoutHeader.event_id,
    )!;
    expect(started.parentSpanId).toBe('');
    const own = collector.trace(started.traceId);
    expect(own.filter((s) => s.name === 'hookstream.attempt').map((s) => s.parentSpanId)).toEqual([
      started.spanId,
      started.spanId,
    ]);

    process.stderr.write(`trace of a retried delivery (continued from upstream):\n${spanTree(continued)}\n`);
  }, 150_000);
});

function one(spans: readonly CollectedSpan[], name: string): CollectedSpan {
  const found = spans.filter((s) => s.name === name);
  expect(found).toHaveLength(1);
  return found[0]!;
}

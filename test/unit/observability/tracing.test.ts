import { trace } from '@opentelemetry/api';
import type { KafkaMessage } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import {
  type DeliveryJob,
  decodeJob,
  encodeJob,
  firstJob,
  nextJob,
  replayJob,
} from '../../../src/core/job.js';
import {
  activeTracer,
  initTracing,
  parentFromTraceparent,
  traceparentOf,
  tracingSettings,
} from '../../../src/observability/tracing.js';
import { testLogger } from '../../support/helpers.js';
import { thrown } from '../core/thrown.js';
import { batchOf, envelope, kafkaMessage } from '../router/support.js';
import { tracedRouter } from './tracing-fixtures.js';

const TP = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('tracingSettings', () => {
  it.each<[string, Record<string, string>, boolean]>([
    ['nothing set', {}, false],
    ['an OTLP endpoint', { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }, true],
    ['a traces endpoint', { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/v1/traces' }, true],
    ['OTEL_TRACES_EXPORTER=otlp', { OTEL_TRACES_EXPORTER: 'otlp' }, true],
    ['an empty endpoint', { OTEL_EXPORTER_OTLP_ENDPOINT: ' ' }, false],
    [
      'OTEL_TRACES_EXPORTER=none',
      { OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c' },
      false,
    ],
    ['OTEL_SDK_DISABLED=true', { OTEL_SDK_DISABLED: 'TRUE', OTEL_TRACES_EXPORTER: 'otlp' }, false],
    ['an exporter hookstream lacks', { OTEL_TRACES_EXPORTER: 'zipkin' }, false],
  ])('%s → on: %s', (_name, env, on) => {
    expect(tracingSettings(env).on).toBe(on);
  });

  it('names the service from OTEL_SERVICE_NAME (default hookstream) and warns about other protocols', () => {
    expect(tracingSettings({ OTEL_TRACES_EXPORTER: 'otlp' })).toMatchObject({ serviceName: 'hookstream' });
    const s = tracingSettings({
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_SERVICE_NAME: 'hooks-eu',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
    });
    expect(s).toMatchObject({ on: true, serviceName: 'hooks-eu' });
    expect(s.warnings).toEqual([expect.stringMatching(/http\/json only/)]);
    expect(tracingSettings({ OTEL_TRACES_EXPORTER: 'console' }).warnings).toEqual([
      expect.stringMatching(/only otlp; tracing is off/),
    ]);
  });
});

describe('tracing off (no OTEL_* variables)', () => {
  it('registers no provider, and the router writes jobs without a traceparent field', async () => {
    expect(await initTracing({}, { role: 'router', version: 'test' }, testLogger)).toBeNull();
    expect(activeTracer()).toBeNull();
    // The global provider is still the API's no-op one: its spans record nothing.
    expect(trace.getTracer('probe').startSpan('probe').isRecording()).toBe(false);

    const { router, producer: f } = tracedRouter(['wh_a']);
    // Even an upstream traceparent header is not copied into the job while tracing is off.
    const message = {
      ...kafkaMessage(0, envelope()),
      headers: { traceparent: Buffer.from(TP) },
    } as KafkaMessage;
    expect(await router.handle(batchOf([message]).batch)).toEqual({ last: '0' });
    const [job] = f.on('deliveries');
    expect((job!.value as Buffer).toString('utf8')).not.toContain('traceparent');
    expect('traceparent' in decodeJob(job!.value as Buffer)).toBe(false);
  });
});

describe('the job traceparent field', () => {
  const first = firstJob(envelope(), 'wh_a', 1_767_225_600_000, { traceparent: TP });

  it('is set by firstJob only when given, copied by nextJob, and dropped by replayJob', () => {
    expect('traceparent' in firstJob(envelope(), 'wh_a', 0)).toBe(false);
    expect(first.traceparent).toBe(TP);
    const next = nextJob(first, { attempt: 2, dueAtMs: 1, firstAttemptAtMs: 0 });
    expect(next.traceparent).toBe(TP);
    const replay = replayJob({ ...first, attempts: 2 }, 5);
    expect('traceparent' in replay).toBe(false);
  });

  it('round-trips through the codec, last in key order', () => {
    const raw = encodeJob(first).toString('utf8');
    expect(raw.endsWith(`"traceparent":"${TP}"}`)).toBe(true);
    expect(decodeJob(raw)).toEqual(first);
  });

  it.each([
    ['an upper-case id', TP.toUpperCase()],
    ['version ff', `ff${TP.slice(2)}`],
    ['an all-zero trace id', `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`],
    ['an all-zero parent id', `00-4bf92f3577b34da6a3ce929d0e0e4736-${'0'.repeat(16)}-01`],
    ['a short trace id', '00-4bf92f3577b34da6-00f067aa0ba902b7-01'],
    ['a number', 7],
  ])('refuses %s (INVALID_JOB, field traceparent)', (_name, value) => {
    const job = { ...(first as DeliveryJob), traceparent: value };
    const err = thrown(() => decodeJob(JSON.stringify(job)));
    expect(err).toMatchObject({ code: 'INVALID_JOB', details: { field: 'traceparent' } });
  });
});

describe('traceparent ↔ span context', () => {
  it('parses a valid header as a remote parent and formats it back', () => {
    const ctx = parentFromTraceparent(TP)!;
    const sc = trace.getSpanContext(ctx)!;
    expect(sc).toMatchObject({
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      traceFlags: 1,
      isRemote: true,
    });
    expect(traceparentOf(sc)).toBe(TP);
  });

  it('ignores an absent or malformed header (the router then starts a trace)', () => {
    expect(parentFromTraceparent(undefined)).toBeNull();
    expect(parentFromTraceparent('00-xyz')).toBeNull();
  });
});

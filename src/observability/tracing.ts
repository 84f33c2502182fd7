/**
 * OpenTelemetry tracing: off unless the standard `OTEL_*` variables configure an OTLP exporter.
 *
 * When off (the default) nothing is registered and the SDK is never even loaded: the hot path
 * tests one module variable (`tracer === null`) and returns, building no attributes, no span and
 * no traceparent string. Only `@opentelemetry/api` is imported statically.
 *
 * When on, one `BasicTracerProvider` with a `BatchSpanProcessor` (its `OTEL_BSP_*` variables apply)
 * exports OTLP/HTTP JSON to `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` or `OTEL_EXPORTER_OTLP_ENDPOINT`
 * + `/v1/traces` (`OTEL_EXPORTER_OTLP_HEADERS`, `OTEL_TRACES_SAMPLER` etc. apply as usual).
 * Contexts travel explicitly (Kafka header → job field → span parent), so no context manager is
 * needed. The span helpers are in `spans.ts`.
 */
import { type Context, ROOT_CONTEXT, type SpanContext, type Tracer, trace } from '@opentelemetry/api';
import { TRACEPARENT_RE } from '../core/job.js';
import type { Component } from '../roles/lifecycle.js';
import type { Logger } from './logger.js';

/** The tracer of this process; null: tracing is off (nothing registered). */
let tracer: Tracer | null = null;

/** The tracer when tracing is on, else null. The hot path checks this and does nothing more. */
export function activeTracer(): Tracer | null {
  return tracer;
}

type Env = Readonly<Record<string, string | undefined>>;

export type TracingSettings =
  | {
      readonly on: true;
      readonly serviceName: string;
      /** Where spans are POSTed; undefined: the exporter's default (http://localhost:4318/v1/traces). */
      readonly url: string | undefined;
      readonly warnings: readonly string[];
    }
  | { readonly on: false; readonly reason: string; readonly warnings: readonly string[] };

/**
 * Whether the environment asks for traces. On when `OTEL_TRACES_EXPORTER` includes `otlp`, or, with
 * it unset, when an OTLP endpoint is set. `OTEL_SDK_DISABLED=true` and `OTEL_TRACES_EXPORTER=none`
 * turn it off. Only OTLP over HTTP/JSON is exported.
 */
export function tracingSettings(env: Env): TracingSettings {
  const warnings: string[] = [];
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true')
    return { on: false, reason: 'OTEL_SDK_DISABLED=true', warnings };
  const exporters = (env.OTEL_TRACES_EXPORTER ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s !== '');
  const endpoint =
    nonEmpty(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) ?? nonEmpty(env.OTEL_EXPORTER_OTLP_ENDPOINT);
  if (exporters.includes('none')) return { on: false, reason: 'OTEL_TRACES_EXPORTER=none', warnings };
  if (exporters.length > 0 && !exporters.includes('otlp')) {
    warnings.push(
      `OTEL_TRACES_EXPORTER=${env.OTEL_TRACES_EXPORTER}: hookstream exports only otlp; tracing is off`,
    );
    return { on: false, reason: 'no supported exporter in OTEL_TRACES_EXPORTER', warnings };
  }
  if (exporters.length === 0 && endpoint === undefined)
    return { on: false, reason: 'no OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT or OTEL_TRACES_EXPORTER', warnings };
  const protocol =
    nonEmpty(env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL) ?? nonEmpty(env.OTEL_EXPORTER_OTLP_PROTOCOL);
  if (protocol !== undefined && protocol !== 'http/json')
    warnings.push(`OTEL_EXPORTER_OTLP_PROTOCOL=${protocol}: hookstream exports http/json only`);
  const tracesEndpoint = nonEmpty(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
  const base = nonEmpty(env.OTEL_EXPORTER_OTLP_ENDPOINT);
  // The spec: the signal-specific endpoint is used as is; the general one gets /v1/traces appended.
  const url = tracesEndpoint ?? (base === undefined ? undefined : `${base.replace(/\/+$/, '')}/v1/traces`);
  return { on: true, serviceName: nonEmpty(env.OTEL_SERVICE_NAME) ?? 'hookstream', url, warnings };
}

/**
 * Starts tracing for this process when the environment asks for it; returns the component that
 * flushes and shuts it down (close it last: it exports the spans of everything closed before), or
 * null when tracing stays off.
 */
export async function initTracing(
  env: Env,
  meta: { readonly role: string; readonly version: string },
  logger: Pick<Logger, 'info' | 'warn' | 'error'>,
): Promise<Component | null> {
  const settings = tracingSettings(env);
  for (const w of settings.warnings) logger.warn(w);
  if (!settings.on) return null;
  // Loaded only when on: a process without tracing never loads the SDK.
  const [{ BasicTracerProvider, BatchSpanProcessor }, { OTLPTraceExporter }, resources, semconv] =
    await Promise.all([
      import('@opentelemetry/sdk-trace-base'),
      import('@opentelemetry/exporter-trace-otlp-http'),
      import('@opentelemetry/resources'),
      import('@opentelemetry/semantic-conventions'),
    ]);
  const resource = resources
    .resourceFromAttributes({
      [semconv.ATTR_SERVICE_NAME]: settings.serviceName,
      [semconv.ATTR_SERVICE_VERSION]: meta.version,
      'hookstream.role': meta.role,
    })
    // OTEL_RESOURCE_ATTRIBUTES (and OTEL_SERVICE_NAME) win over the defaults above.
    .merge(resources.detectResources({ detectors: [resources.envDetector] }));
  const provider = new BasicTracerProvider({
    resource,
    // Headers, timeout and compression: the exporter's own OTEL_EXPORTER_OTLP_* variables.
    spanProcessors: [
      new BatchSpanProcessor(new OTLPTraceExporter(settings.url ? { url: settings.url } : {})),
    ],
  });
  trace.setGlobalTracerProvider(provider);
  tracer = provider.getTracer('hookstream', meta.version);
  logger.info(
    { service_name: settings.serviceName, role: meta.role, endpoint_host: hostOf(settings.url) },
    'OpenTelemetry tracing on: exporting spans over OTLP/HTTP (JSON)',
  );
  let closed = false;
  return {
    name: 'tracing',
    close: async () => {
      if (closed) return;
      closed = true;
      tracer = null;
      try {
        await provider.shutdown();
      } catch (err) {
        logger.error({ err: (err as Error).message }, 'exporting the last spans failed; they are lost');
      }
      trace.disable();
    },
  };
}

/** The remote parent described by a W3C `traceparent` value; null when absent or malformed. */
export function parentFromTraceparent(value: string | undefined): Context | null {
  if (value === undefined || !TRACEPARENT_RE.test(value)) return null;
  const parts = value.split('-');
  const spanContext: SpanContext = {
    traceId: parts[1]!,
    spanId: parts[2]!,
    traceFlags: Number.parseInt(parts[3]!, 16) & 1,
    isRemote: true,
  };
  return trace.setSpanContext(ROOT_CONTEXT, spanContext);
}

/** The W3C `traceparent` (version 00) of a span context. */
export function traceparentOf(sc: SpanContext): string {
  return `00-${sc.traceId}-${sc.spanId}-0${sc.traceFlags & 1}`;
}

function nonEmpty(v: string | undefined): string | undefined {
  const t = v?.trim();
  return t === undefined || t === '' ? undefined : t;
}

/** host:port only: an endpoint URL may carry credentials, which never reach a log line. */
function hostOf(url: string | undefined): string {
  if (url === undefined) return 'localhost:4318';
  try {
    return new URL(url).host;
  } catch {
    return 'unparsable URL';
  }
}

/**
 * A test OTLP/HTTP collector: accepts `POST /v1/traces` with a JSON `ExportTraceServiceRequest`
 * (what @opentelemetry/exporter-trace-otlp-http sends) and keeps every span with its resource.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

type AnyValue = {
  stringValue?: string;
  intValue?: number | string;
  boolValue?: boolean;
  doubleValue?: number;
};
interface KeyValue {
  key: string;
  value: AnyValue;
}

export interface CollectedSpan {
  readonly traceId: string;
  readonly spanId: string;
  /** '' for a root span. */
  readonly parentSpanId: string;
  readonly name: string;
  readonly kind: number;
  readonly startMs: number;
  readonly endMs: number;
  readonly attributes: Record<string, string | number | boolean>;
  /** 0 unset, 1 ok, 2 error. */
  readonly statusCode: number;
  readonly resource: Record<string, string | number | boolean>;
}

export class TestCollector {
  readonly spans: CollectedSpan[] = [];
  /** Requests that were not a valid JSON export (should stay empty). */
  readonly rejected: string[] = [];
  readonly #server: http.Server;
  url = '';

  constructor() {
    this.#server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if (
          req.method !== 'POST' ||
          req.url !== '/v1/traces' ||
          !req.headers['content-type']?.includes('json')
        ) {
          this.rejected.push(`${req.method} ${req.url} ${req.headers['content-type']}`);
          res.writeHead(404).end();
          return;
        }
        try {
          this.#collect(JSON.parse(text));
        } catch (err) {
          this.rejected.push(`unparsable export: ${(err as Error).message}`);
          res.writeHead(400).end();
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
  }

  #collect(body: {
    resourceSpans?: {
      resource?: { attributes?: KeyValue[] };
      scopeSpans?: { spans?: Record<string, unknown>[] }[];
    }[];
  }): void {
    for (const rs of body.resourceSpans ?? []) {
      const resource = attributes(rs.resource?.attributes);
      for (const ss of rs.scopeSpans ?? []) {
        for (const s of ss.spans ?? []) {
          this.spans.push({
            traceId: s.traceId as string,
            spanId: s.spanId as string,
            parentSpanId: (s.parentSpanId as string | undefined) ?? '',
            name: s.name as string,
            kind: s.kind as number,
            startMs: nanosToMs(s.startTimeUnixNano),
            endMs: nanosToMs(s.endTimeUnixNano),
            attributes: attributes(s.attributes as KeyValue[] | undefined),
            statusCode: ((s.status as { code?: number } | undefined)?.code ?? 0) as number,
            resource,
          });
        }
      }
    }
  }

  /** Every span of one trace. */
  trace(traceId: string): CollectedSpan[] {
    return this.spans.filter((s) => s.traceId === traceId);
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

function attributes(list: KeyValue[] | undefined): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const { key, value } of list ?? []) {
    if (value.stringValue !== undefined) out[key] = value.stringValue;
    else if (value.intValue !== undefined) out[key] = Number(value.intValue);
    else if (value.doubleValue !== undefined) out[key] = value.doubleValue;
    else if (value.boolValue !== undefined) out[key] = value.boolValue;
  }
  return out;
}

function nanosToMs(v: unknown): number {
  if (typeof v === 'number') return v / 1e6;
  if (typeof v === 'string') return Number(BigInt(v) / 1_000n) / 1_000;
  // Some serialisers send { low, high } longs.
  const { low, high } = v as { low: number; high: number };
  return Number((BigInt(high >>> 0) << 32n) | BigInt(low >>> 0)) / 1e6;
}

/** The spans of a trace as an indented tree: name, key attributes, duration. */
export function spanTree(spans: readonly CollectedSpan[]): string {
  const t0 = Math.min(...spans.map((s) => s.startMs));
  const ids = new Set(spans.map((s) => s.spanId));
  const lines: string[] = [];
  const keys = [
    'hookstream.role',
    'hookstream.tier',
    'hookstream.attempt',
    'http.response.status_code',
    'hookstream.outcome',
    'hookstream.latency_ms',
    'hookstream.decision',
    'hookstream.next_tier',
    'hookstream.route',
    'hookstream.jobs',
    'messaging.destination.name',
    'hookstream.dead_letter_reason',
  ];
  const walk = (parent: string, depth: number) => {
    const children = spans.filter(
      (s) => s.parentSpanId === parent || (depth === 0 && !ids.has(s.parentSpanId)),
    );
    for (const s of children.sort((a, b) => a.startMs - b.startMs)) {
      const attrs = { 'hookstream.role': s.resource['hookstream.role'], ...s.attributes } as Record<
        string,
        unknown
      >;
      const shown = keys
        .filter((k) => attrs[k] !== undefined)
        .map((k) => `${k.replace(/^hookstream\./, '')}=${attrs[k]}`);
      const at = `+${Math.round(s.startMs - t0)} ms, ${(s.endMs - s.startMs).toFixed(1)} ms`;
      lines.push(
        `${'  '.repeat(depth)}- ${s.name} (${at}) ${shown.join(' ')}${s.statusCode === 2 ? ' ERROR' : ''}`,
      );
      walk(s.spanId, depth + 1);
    }
  };
  walk('\0none', 0);
  return lines.join('\n');
}

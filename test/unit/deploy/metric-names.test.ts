/**
 * Every metric an operator is pointed at — README Operations, the PrometheusRule alerts, the KEDA
 * triggers and the Grafana dashboard — exists on /metrics. The registry is exercised (one series
 * per labelled metric) and scraped through the ops server, as Prometheus would.
 */
import { readFileSync } from 'node:fs';
import { Counter, Gauge, Histogram } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registry } from '../../../src/observability/metrics.js';
import { OpsServer } from '../../../src/observability/ops-server.js';
import { testLogger } from '../../support/helpers.js';

const read = (path: string) => readFileSync(new URL(`../../../${path}`, import.meta.url), 'utf8');
const METRIC_RE = /\b(?:hookstream|process|nodejs)_[a-z0-9_]+[a-z0-9]\b/g;
const names = (text: string): string[] => [...new Set(text.match(METRIC_RE) ?? [])].sort();

const readme = read('README.md');
const operations = readme.slice(
  readme.indexOf('\n## Operations'),
  readme.indexOf('\n## ', readme.indexOf('\n## Operations') + 5),
);
const dashboard = JSON.parse(read('helm/hookstream/dashboards/hookstream.json')) as {
  panels: { type: string; title: string; targets?: { expr: string }[] }[];
};
const dashboardExprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));

const SOURCES: [string, string[]][] = [
  ['README Operations', names(operations)],
  ['PrometheusRule alerts', names(read('helm/hookstream/templates/prometheusrule.yaml'))],
  ['KEDA triggers', names(read('helm/hookstream/templates/_helpers.tpl'))],
  ['Grafana dashboard', names(dashboardExprs.join('\n'))],
];

let exposition = '';
const ops = new OpsServer(testLogger);

beforeAll(async () => {
  // One series for every labelled metric, so that each name appears as a running role shows it.
  for (const m of registry.getMetricsAsArray()) {
    const labelNames = (m as unknown as { labelNames: string[] }).labelNames ?? [];
    const labels = Object.fromEntries(labelNames.map((n) => [n, 'x']));
    if (m instanceof Counter) m.inc(labels, 0);
    else if (m instanceof Histogram) m.observe(labels, 0);
    else if (m instanceof Gauge && labelNames.length > 0) m.inc(labels, 0);
  }
  const port = await ops.listen(0, '127.0.0.1');
  ops.check('test', () => true);
  exposition = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
});
afterAll(() => ops.close());

/** A series of that name, or the histogram family of that name (`<name>_count`). */
function exported(name: string): boolean {
  const lines = exposition.split('\n');
  return [name, `${name}_count`].some((n) =>
    lines.some((l) => l.startsWith(`${n}{`) || l.startsWith(`${n} `)),
  );
}

describe('metrics named for operators', () => {
  it.each(SOURCES)('%s name only metrics that /metrics serves', (_source, referenced) => {
    expect(referenced.length).toBeGreaterThan(0);
    expect(referenced.filter((n) => !exported(n))).toEqual([]);
  });

  it('serves the standard process and Node.js metrics unprefixed, and hookstream_build_info = 1', () => {
    for (const n of [
      'process_cpu_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_eventloop_lag_seconds',
    ])
      expect(exported(n), n).toBe(true);
    expect(exposition).not.toMatch(/^hookstream_(process|nodejs)_/m);
    expect(exposition).toMatch(
      new RegExp(
        `^hookstream_build_info\\{version="\\d+\\.\\d+\\.\\d+[^"]*",node_version="${process.version}"\\} 1$`,
        'm',
      ),
    );
  });

  it('buckets webhook latencies up to the largest attempt timeout and the retry budget', () => {
    const les = (metric: string) =>
      [...exposition.matchAll(new RegExp(`^${metric}_bucket\\{[^}]*le="([^"]+)"`, 'gm'))].map((m) => m[1]);
    // HOOKSTREAM_DELIVERY_TIMEOUT_MS is at most 120 000 ms; the retry budget defaults to 24 h.
    expect(les('hookstream_attempt_duration_seconds')).toContain('120');
    expect(les('hookstream_end_to_end_seconds')).toContain('86400');
    // Dense where receivers answer (p50/p95/p99 of a healthy receiver).
    const attempt = les('hookstream_attempt_duration_seconds').map(Number);
    expect(attempt.filter((le) => le >= 0.05 && le <= 2.5).length).toBeGreaterThanOrEqual(8);
  });
});

describe('Grafana dashboard', () => {
  it('is a dashboard with the panels an operator needs', () => {
    const titles = dashboard.panels.filter((p) => p.type !== 'row').map((p) => p.title);
    for (const want of [
      /Deliveries .*by outcome/,
      /Attempts by tier and outcome/,
      /End to end p50 \/ p95 \/ p99/,
      /Overdue per tier/,
      /lag/i,
      /Dead letters by reason/,
      /Paused partitions/,
      /In-flight/,
      /memory/i,
      /CPU/,
    ])
      expect(
        titles.some((t) => want.test(t)),
        String(want),
      ).toBe(true);
    for (const e of dashboardExprs) {
      expect(e, e).toContain('namespace=~"$namespace"');
      for (const [open, close] of ['()', '{}', '[]'])
        expect(e.split(open!).length, `${e} ${open}`).toBe(e.split(close!).length);
    }
    const q = dashboardExprs.filter((e) => e.includes('hookstream_end_to_end_seconds_bucket'));
    expect(q.map((e) => /histogram_quantile\(([\d.]+)/.exec(e)?.[1])).toEqual(['0.5', '0.95', '0.99']);
  });
});

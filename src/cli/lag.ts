/** `hookstream lag`: consumer lag and overdue seconds per group/topic/partition, for a terminal. */
import { topicNames } from '../config/topics.js';
import { createKafka } from '../kafka/client.js';
import { LagCollector, type LagRow } from '../observability/lag.js';
import { type Cli, cliLogger, closeWithin, config, withDeadline } from './io.js';

export async function lagCommand(cli: Cli, opts: { json?: boolean }): Promise<number> {
  const cfg = config(cli);
  const logger = cliLogger(cli, 'lag', cfg);
  const collector = new LagCollector({
    kafka: createKafka({
      brokers: cfg.kafka.brokers,
      security: cfg.kafka,
      clientId: 'hookstream-lag',
      logger,
    }),
    logger,
    names: topicNames(cfg.topicPrefix, cfg.tiers),
    eventTopics: cfg.eventTopics,
  });
  try {
    const rows = await withDeadline(cli, `Kafka (${cfg.kafka.brokers.join(',')})`, () => collector.collect());
    cli.out(opts.json ? `${JSON.stringify(rows, null, 2)}\n` : formatLagTable(rows));
  } finally {
    await closeWithin(collector.close());
  }
  return 0;
}

export function formatLagTable(rows: readonly LagRow[]): string {
  if (rows.length === 0) return 'no hookstream topics found (run `hookstream topics create`)\n';
  const header = ['GROUP', 'TOPIC', 'PARTITION', 'COMMITTED', 'END', 'LAG', 'OVERDUE'];
  const lines = rows.map((r) => [
    r.group,
    r.topic,
    String(r.partition),
    r.committed === null ? '-' : String(r.committed),
    String(r.end),
    String(r.lag),
    r.overdueSeconds === null ? '-' : formatSeconds(r.overdueSeconds),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (cells: string[]) =>
    cells
      .map((c, i) => (i >= 2 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const totals = new Map<string, { lag: number; overdue: number | null }>();
  for (const r of rows) {
    const t = totals.get(r.stage) ?? { lag: 0, overdue: r.overdueSeconds === null ? null : 0 };
    t.lag += r.lag;
    if (r.overdueSeconds !== null) t.overdue = Math.max(t.overdue ?? 0, r.overdueSeconds);
    totals.set(r.stage, t);
  }
  const summary = [...totals].map(
    ([stage, t]) =>
      `${stage}: lag ${t.lag}${t.overdue === null ? '' : `, overdue ${formatSeconds(t.overdue)}`}`,
  );
  return `${[fmt(header), ...lines.map(fmt)].join('\n')}\n\n${summary.join('\n')}\n`;
}

/** 0s · 59.4s · 1m60s never: rounded first, then split (119.6 s → 2m0s; 3599.6 s → 1h0m). */
export function formatSeconds(s: number): string {
  if (s === 0) return '0s';
  if (Math.round(s * 10) / 10 < 60) return `${s.toFixed(1)}s`;
  const whole = Math.round(s);
  if (whole < 3600) return `${Math.floor(whole / 60)}m${whole % 60}s`;
  const minutes = Math.round(s / 60);
  return `${Math.floor(minutes / 60)}h${minutes % 60}m`;
}

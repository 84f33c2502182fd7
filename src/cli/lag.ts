/** `hookstream lag`: consumer lag and overdue seconds per group/topic/partition, for a terminal. */
import { loadConfig } from '../config/config.js';
import { topicNames } from '../config/topics.js';
import { createKafka } from '../kafka/client.js';
import { LagCollector, type LagRow } from '../observability/lag.js';
import { createLogger } from '../observability/logger.js';
import { parse } from './args.js';

const USAGE = 'hookstream lag [--json]';

export async function lagCommand(args: string[]): Promise<number> {
  const { values } = parse(args, { json: { type: 'boolean', default: false } }, USAGE);
  const config = loadConfig();
  const logger = createLogger({ level: 'warn', name: 'lag' });
  const collector = new LagCollector({
    kafka: createKafka({
      brokers: config.kafka.brokers,
      security: config.kafka,
      clientId: 'hookstream-lag',
      logger,
    }),
    logger,
    names: topicNames(config.topicPrefix, config.tiers),
    eventTopics: config.eventTopics,
  });
  try {
    const rows = await collector.collect();
    process.stdout.write(values.json ? `${JSON.stringify(rows, null, 2)}\n` : formatLagTable(rows));
  } finally {
    await collector.close();
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

function formatSeconds(s: number): string {
  if (s === 0) return '0s';
  if (s < 60) return `${s.toFixed(1)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${Math.round(s % 60)}s`;
  return `${Math.floor(s / 3600)}h${Math.round((s % 3600) / 60)}m`;
}

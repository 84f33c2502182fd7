/**
 * The faults × outcome table: every scenario appends one row (JSON line) to a file in the stack
 * instance directory; the global teardown prints them as a Markdown table (the one in
 * docs/reliability.md comes from these runs).
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { instanceDir } from './stack.js';

export interface OutcomeRow {
  readonly fault: string;
  /** Domain events produced (read back from the topic). */
  readonly events: number;
  /** Expected deliveries: (event, matching webhook) pairs. */
  readonly deliveries: number;
  readonly lost: number;
  /** Extra 2xx-answered requests beyond the first, over all deliveries. */
  readonly duplicated: number;
  readonly deadLettered: number;
  /** Fault cleared → first delivery of an event produced after the fault began, ms; null: n/a. */
  readonly recoverMs: number | null;
  /** Fault cleared → every expected delivery settled (delivered or dead-lettered), ms; null: n/a. */
  readonly catchUpMs: number | null;
  readonly notes?: string;
}

export function reportFile(): string {
  return process.env.HOOKSTREAM_FAULTS_REPORT ?? join(instanceDir(), 'outcomes.jsonl');
}

export function recordOutcome(row: OutcomeRow): void {
  const file = reportFile();
  mkdirSync(dirname(file), { recursive: true });
  appendFileSync(file, `${JSON.stringify(row)}\n`);
  process.stderr.write(`outcome: ${outcomeTable([row]).split('\n').at(-1)}\n`);
}

export function readOutcomes(): OutcomeRow[] {
  const file = reportFile();
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as OutcomeRow);
}

const seconds = (ms: number | null) => (ms === null ? '–' : `${(ms / 1000).toFixed(1)} s`);

export function outcomeTable(rows: readonly OutcomeRow[]): string {
  const lines = [
    '| fault | events | deliveries | lost | duplicated | dead-lettered | time to recover | caught up after | notes |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---|',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.fault} | ${r.events} | ${r.deliveries} | ${r.lost} | ${r.duplicated} | ${r.deadLettered} | ${seconds(r.recoverMs)} | ${seconds(r.catchUpMs)} | ${r.notes ?? ''} |`,
    );
  }
  return lines.join('\n');
}

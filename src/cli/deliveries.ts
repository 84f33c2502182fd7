/**
 * `hookstream webhooks test|deliveries|retry|replay`: delivery history and sending again, over the
 * same service code as the admin API. Sending again queues a job on the deliveries topic, so these
 * verbs connect to Kafka as well as MongoDB.
 */
import type { DeliveryStatus } from '../mongo/deliveries.js';
import { type DeliveryView, listDeliveries } from '../services/deliveries.js';
import { replayFailed, retryDelivery, sendTestEvent } from '../services/replay.js';
import { type Cli, json, table, withServices } from './io.js';
import type { TargetOptions } from './webhooks.js';

export async function testCommand(cli: Cli, opts: TargetOptions & { message?: string }): Promise<number> {
  const sent = await withServices(cli, (ctx) => sendTestEvent(ctx, opts.env, opts.id, opts.message), {
    kafka: true,
  });
  cli.out(json(sent));
  return 0;
}

export interface DeliveriesOptions extends TargetOptions {
  readonly status?: DeliveryStatus;
  readonly eventType?: string;
  readonly since?: Date;
  readonly until?: Date;
  readonly limit: number;
  readonly json?: boolean;
}

function deliveryTable(rows: readonly DeliveryView[]): string {
  return table([
    ['ID', 'STATUS', 'ATTEMPTS', 'EVENT TYPE', 'EVENT', 'CREATED', 'LAST OUTCOME'],
    ...rows.map((d) => {
      const last = d.attempts.at(-1);
      return [
        d.id,
        d.status,
        String(d.attempt_count),
        d.event_type,
        d.event_id,
        d.created_at,
        last ? `${last.outcome}${last.status_code === null ? '' : ` ${last.status_code}`}` : '-',
      ];
    }),
  ]);
}

/** Newest first, up to --limit (several pages when needed). */
export async function deliveriesCommand(cli: Cli, opts: DeliveriesOptions): Promise<number> {
  const rows = await withServices(cli, async (ctx) => {
    const found: DeliveryView[] = [];
    let cursor: string | undefined;
    do {
      const page = await listDeliveries(
        ctx,
        opts.env,
        opts.id,
        { status: opts.status, event_type: opts.eventType, since: opts.since, until: opts.until },
        { cursor, limit: Math.min(200, opts.limit - found.length) },
      );
      found.push(...page.data);
      cursor = page.next_cursor ?? undefined;
    } while (cursor !== undefined && found.length < opts.limit);
    return found;
  });
  cli.out(opts.json ? json(rows) : deliveryTable(rows));
  return 0;
}

export async function retryCommand(cli: Cli, opts: { env: string; delivery: string }): Promise<number> {
  const result = await withServices(cli, (ctx) => retryDelivery(ctx, opts.env, opts.delivery), {
    kafka: true,
  });
  cli.out(json(result));
  return 0;
}

export async function replayCommand(
  cli: Cli,
  opts: TargetOptions & { since: Date; until?: Date; limit?: number },
): Promise<number> {
  const result = await withServices(
    cli,
    (ctx) =>
      replayFailed(ctx, opts.env, opts.id, { since: opts.since, until: opts.until, limit: opts.limit }),
    { kafka: true },
  );
  cli.out(json(result));
  return 0;
}

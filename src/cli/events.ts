/**
 * `hookstream events …`, by the `event_id` upstream knows:
 * - `publish`: one domain event (or --count of them) onto an event topic, for tests and demos;
 * - `deliveries`: every delivery of one event across webhooks, with its last attempt;
 * - `erase`: removes the stored bodies and response excerpts of every delivery of one event.
 * The last two run the same service code as the admin API, straight against MongoDB.
 */
import { randomUUID } from 'node:crypto';
import { serializeEnvelope, validateEnvelope } from '../core/envelope.js';
import { HookstreamError } from '../core/errors.js';
import { createKafka } from '../kafka/client.js';
import { eraseEvent, listEventDeliveries } from '../services/events.js';
import { type Cli, cliLogger, closeWithin, config, json, table, withDeadline, withServices } from './io.js';

export interface PublishOptions {
  readonly env: string;
  readonly type: string;
  readonly data: string;
  readonly id?: string;
  readonly workflowRunId?: string;
  readonly topic?: string;
  readonly count: number;
}

/** Events per produce request. */
const SEND_BATCH = 1_000;

export async function eventsPublishCommand(cli: Cli, opts: PublishOptions): Promise<number> {
  let data: unknown;
  try {
    data = JSON.parse(opts.data);
  } catch (err) {
    throw new HookstreamError('VALIDATION_FAILED', `--data is not JSON: ${(err as Error).message}`);
  }
  if (opts.id && opts.count > 1) {
    throw new HookstreamError('VALIDATION_FAILED', '--id and --count > 1 exclude each other');
  }
  const cfg = config(cli);
  const topic = opts.topic ?? cfg.eventTopics[0]!;
  const now = Date.now();
  const events = Array.from({ length: opts.count }, () => {
    try {
      return validateEnvelope(
        {
          event_id: opts.id ?? `evt_${randomUUID()}`,
          event_type: opts.type,
          environment: opts.env,
          created_at: new Date(now).toISOString(),
          ...(opts.workflowRunId ? { workflow_run_id: opts.workflowRunId } : {}),
          data,
        },
        { recordTimestampMs: now },
      );
    } catch (err) {
      throw new HookstreamError('VALIDATION_FAILED', `event rejected: ${(err as Error).message}`);
    }
  });

  const producer = createKafka({
    brokers: cfg.kafka.brokers,
    security: cfg.kafka,
    clientId: 'hookstream-cli',
    logger: cliLogger(cli, 'events', cfg),
  }).producer();
  try {
    await withDeadline(cli, `Kafka (${cfg.kafka.brokers.join(',')})`, async () => {
      await producer.connect();
      for (let i = 0; i < events.length; i += SEND_BATCH) {
        const slice = events.slice(i, i + SEND_BATCH);
        await producer.send({
          topic,
          acks: -1,
          messages: slice.map((e) => ({ key: e.event_id, value: serializeEnvelope(e) })),
        });
      }
    });
  } finally {
    await closeWithin(producer.disconnect());
  }
  const first = events[0]!;
  cli.out(
    opts.count === 1
      ? `published ${first.event_id} (${first.event_type}, ${first.environment}) to ${topic}\n`
      : `published ${opts.count} events to ${topic}\n`,
  );
  return 0;
}

export interface EventTargetOptions {
  readonly env: string;
  readonly id: string;
  readonly json?: boolean;
}

/** Oldest first: one row per delivery (one per webhook the event matched). */
export async function eventDeliveriesCommand(cli: Cli, opts: EventTargetOptions): Promise<number> {
  const found = await withServices(cli, (ctx) => listEventDeliveries(ctx, opts.env, opts.id));
  if (opts.json) {
    cli.out(json(found));
    return 0;
  }
  if (found.data.length === 0) cli.err(`no deliveries of ${opts.id} in ${opts.env}\n`);
  cli.out(
    table([
      ['DELIVERY', 'WEBHOOK', 'STATUS', 'ATTEMPTS', 'CREATED', 'LAST OUTCOME'],
      ...found.data.map((d) => {
        const last = d.attempts.at(-1);
        return [
          d.id,
          d.webhook_id,
          d.status,
          String(d.attempt_count),
          d.created_at,
          last ? `${last.outcome}${last.status_code === null ? '' : ` ${last.status_code}`}` : '-',
        ];
      }),
    ]),
  );
  return 0;
}

/** Prints what was erased (JSON). Copies on Kafka topics stay until the topics' retention. */
export async function eventEraseCommand(cli: Cli, opts: EventTargetOptions): Promise<number> {
  const result = await withServices(cli, (ctx) => eraseEvent(ctx, opts.env, opts.id));
  cli.out(json(result));
  const bodies = result.deliveries.filter((d) => d.body_erased).length;
  cli.err(
    `erased ${bodies} bodies of ${result.deliveries.length} deliveries; copies on Kafka topics remain until their retention\n`,
  );
  return 0;
}

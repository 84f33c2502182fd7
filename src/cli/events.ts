/** `hookstream events publish`: one domain event (or --count of them) onto an event topic, for tests and demos. */
import { randomUUID } from 'node:crypto';
import { serializeEnvelope, validateEnvelope } from '../core/envelope.js';
import { HookstreamError } from '../core/errors.js';
import { createKafka } from '../kafka/client.js';
import { type Cli, cliLogger, closeWithin, config, withDeadline } from './io.js';

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

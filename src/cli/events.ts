/** `hookstream events publish`: one domain event onto an event topic (for testing and demos). */
import { randomUUID } from 'node:crypto';
import { loadConfig } from '../config/config.js';
import { serializeEnvelope, validateEnvelope } from '../core/envelope.js';
import { HookstreamError } from '../core/errors.js';
import { createKafka } from '../kafka/client.js';
import { createLogger } from '../observability/logger.js';
import { parse, required } from './args.js';

const USAGE =
  'hookstream events publish --env E --type T --data JSON [--id ID] [--workflow-run-id W] [--topic TOPIC] [--count N]';

export async function eventsCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(
    args,
    {
      env: { type: 'string' },
      type: { type: 'string' },
      data: { type: 'string', default: '{}' },
      id: { type: 'string' },
      'workflow-run-id': { type: 'string' },
      topic: { type: 'string' },
      count: { type: 'string', default: '1' },
    },
    USAGE,
  );
  if (positionals[0] !== 'publish' || positionals.length !== 1) {
    process.stderr.write(`usage: ${USAGE}\n`);
    return 2;
  }
  let data: unknown;
  try {
    data = JSON.parse(values.data as string);
  } catch (err) {
    throw new HookstreamError('VALIDATION_FAILED', `--data is not JSON: ${(err as Error).message}`);
  }
  const count = Number(values.count);
  if (!Number.isInteger(count) || count < 1 || count > 1_000_000) {
    throw new HookstreamError('VALIDATION_FAILED', '--count must be between 1 and 1000000');
  }
  if (values.id && count > 1)
    throw new HookstreamError('VALIDATION_FAILED', '--id and --count > 1 exclude each other');

  const config = loadConfig();
  const topic = (values.topic as string | undefined) ?? config.eventTopics[0]!;
  const now = Date.now();
  const events = Array.from({ length: count }, () => {
    try {
      return validateEnvelope(
        {
          event_id: (values.id as string | undefined) ?? `evt_${randomUUID()}`,
          event_type: required(values, 'type', USAGE),
          environment: required(values, 'env', USAGE),
          created_at: new Date(now).toISOString(),
          ...(values['workflow-run-id'] ? { workflow_run_id: values['workflow-run-id'] } : {}),
          data,
        },
        { recordTimestampMs: now },
      );
    } catch (err) {
      throw new HookstreamError('VALIDATION_FAILED', `event rejected: ${(err as Error).message}`);
    }
  });

  const logger = createLogger({ level: 'warn', name: 'events' });
  const producer = createKafka({
    brokers: config.kafka.brokers,
    security: config.kafka,
    clientId: 'hookstream-cli',
    logger,
  }).producer();
  await producer.connect();
  try {
    for (let i = 0; i < events.length; i += 1_000) {
      const slice = events.slice(i, i + 1_000);
      await producer.send({
        topic,
        acks: -1,
        messages: slice.map((e) => ({ key: e.event_id, value: serializeEnvelope(e) })),
      });
    }
  } finally {
    await producer.disconnect();
  }
  if (count === 1)
    process.stdout.write(
      `published ${events[0]!.event_id} (${events[0]!.event_type}, ${events[0]!.environment}) to ${topic}\n`,
    );
  else process.stdout.write(`published ${count} events to ${topic}\n`);
  return 0;
}

/**
 * Publishes operational events (`core/operational.ts`) to `<prefix>.operational`: JSON, keyed by
 * webhook id, acknowledged by all in-sync replicas (`acks: -1`) before `publish` resolves.
 *
 * A publish that fails is logged with every event id and type and rethrown: the caller decides
 * whether to hold its offset (the sender's dead-letter step must, so `delivery.exhausted` is not
 * lost) or to carry on (a disable already written to MongoDB stands even if its event is late).
 */
import type { Kafka, Producer } from 'kafkajs';
import { type OperationalEvent, operationalRecord } from '../core/operational.js';
import type { Logger } from '../observability/logger.js';

export interface OperationalPublisher {
  readonly topic: string;
  /** Resolves once Kafka acknowledged every event. */
  publish(events: readonly OperationalEvent[]): Promise<void>;
  /** Idempotent: disconnects the producer this publisher owns. */
  close(): Promise<void>;
}

export interface OperationalPublisherOptions {
  readonly topic: string;
  readonly logger: Logger;
}

/** A publisher on a producer of its own (connected here, disconnected by `close`). */
export async function connectOperationalPublisher(
  kafka: Kafka,
  opts: OperationalPublisherOptions,
): Promise<OperationalPublisher> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  return operationalPublisher(producer, opts, () => producer.disconnect());
}

/** A publisher on a producer someone else owns (`close` leaves it connected unless `disconnect` is given). */
export function operationalPublisher(
  producer: Pick<Producer, 'send'>,
  opts: OperationalPublisherOptions,
  disconnect: () => Promise<void> = async () => {},
): OperationalPublisher {
  const log = opts.logger.child({ component: 'operational-publisher' });
  let closing: Promise<void> | undefined;
  return {
    topic: opts.topic,
    async publish(events) {
      if (events.length === 0) return;
      if (closing) throw new TypeError('publish() after close(): the operational publisher is closed');
      try {
        await producer.send({ topic: opts.topic, acks: -1, messages: events.map(operationalRecord) });
      } catch (err) {
        log.error(
          {
            err,
            topic: opts.topic,
            events: events.map((e) => ({ event_id: e.event_id, event_type: e.event_type })),
          },
          'operational events not published',
        );
        throw err;
      }
      for (const e of events) {
        log.info(
          { event_id: e.event_id, event_type: e.event_type, environment: e.environment, data: e.data },
          `operational event ${e.event_type} published`,
        );
      }
    },
    close() {
      closing ??= disconnect();
      return closing;
    },
  };
}

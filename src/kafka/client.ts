/** kafkajs wiring: one Kafka instance per process, its log lines routed into pino. */
import { Kafka, logLevel as KafkaLogLevel, type LogEntry, type logCreator } from 'kafkajs';
import type { KafkaConfig } from '../config/config.js';
import type { Logger } from '../observability/logger.js';

const LEVELS: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [KafkaLogLevel.ERROR]: 'error',
  [KafkaLogLevel.WARN]: 'warn',
  [KafkaLogLevel.INFO]: 'info',
  [KafkaLogLevel.DEBUG]: 'debug',
};

function pinoLogCreator(logger: Logger): logCreator {
  const child = logger.child({ component: 'kafkajs' });
  return () =>
    ({ level, log }: LogEntry) => {
      const { message, timestamp: _t, logger: _l, ...rest } = log;
      // kafkajs reports coordinator moves and rebalances at ERROR while it retries them itself.
      const target =
        level === KafkaLogLevel.ERROR && /rebalanc|coordinator|not the correct/i.test(String(rest.error))
          ? 'warn'
          : (LEVELS[level] ?? 'info');
      child[target](rest, message);
    };
}

export interface KafkaOptions {
  brokers: readonly string[];
  /** TLS and SASL from the configuration (`config.kafka`); absent: plaintext, no SASL. */
  security?: Pick<KafkaConfig, 'ssl' | 'sasl'>;
  clientId: string;
  logger: Logger;
  /** Connection timeout, milliseconds. @default 3_000 */
  connectionTimeoutMs?: number;
}

export function createKafka(opts: KafkaOptions): Kafka {
  process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
  return new Kafka({
    clientId: opts.clientId,
    brokers: [...opts.brokers],
    connectionTimeout: opts.connectionTimeoutMs ?? 3_000,
    requestTimeout: 30_000,
    logLevel: KafkaLogLevel.WARN,
    logCreator: pinoLogCreator(opts.logger),
    // Reconnect for a long time: a broker restart must not kill the roles.
    retry: { initialRetryTime: 300, maxRetryTime: 10_000, retries: 30 },
  });
}

/** kafkajs wiring: one Kafka instance per process, its log lines routed into pino, TLS/SASL applied. */
import {
  type Admin,
  type AdminConfig,
  type Consumer,
  type ConsumerConfig,
  Kafka,
  type KafkaConfig as KafkaJsConfig,
  logLevel as KafkaLogLevel,
  type LogEntry,
  type logCreator,
  type Producer,
  type ProducerConfig,
} from 'kafkajs';
import type { Logger } from '../observability/logger.js';
import { classifyConnectFailure, type KafkaSecurity, kafkaJsSecurity, securityError } from './security.js';

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
  security?: KafkaSecurity;
  clientId: string;
  logger: Logger;
  /** Connection timeout, milliseconds. @default 3_000 */
  connectionTimeoutMs?: number;
}

/**
 * Start-up check: attempts before a listener that closes every connection counts as a mismatch, and
 * the pause between them (milliseconds): ~4 s in all, longer than a broker takes to close its
 * sockets when it shuts down, well inside the 15 s in which a misconfigured role must have exited.
 */
const CHECK_ATTEMPTS = 3;
const CHECK_PAUSE_MS = 2_000;

/**
 * A kafkajs client whose producers, consumers and admins first check, once per instance, that the
 * brokers accept this client's TLS and SASL. A rejected login, an untrusted certificate or a listener
 * speaking another protocol fails `connect()` at once with `KAFKA_SECURITY_FAILED` (one clear
 * message, no secret) instead of minutes of retries; an unreachable broker is retried as before.
 */
class CheckedKafka extends Kafka {
  readonly #probeConfig: KafkaJsConfig;
  readonly #brokers: readonly string[];
  readonly #security: KafkaSecurity | undefined;
  #check: Promise<void> | undefined;

  constructor(config: KafkaJsConfig, brokers: readonly string[], security: KafkaSecurity | undefined) {
    super(config);
    // The probe logs nothing: its failure becomes one error, not a burst of kafkajs lines.
    this.#probeConfig = { ...config, logLevel: KafkaLogLevel.NOTHING, retry: { retries: 0 } };
    this.#brokers = brokers;
    this.#security = security;
  }

  override producer(config?: ProducerConfig): Producer {
    return this.#checked(super.producer(config));
  }

  override consumer(config: ConsumerConfig): Consumer {
    return this.#checked(super.consumer(config));
  }

  override admin(config?: AdminConfig): Admin {
    return this.#checked(super.admin(config));
  }

  #checked<C extends { connect(): Promise<void> }>(client: C): C {
    const connect = client.connect.bind(client);
    client.connect = async () => {
      this.#check ??= this.#checkSecurity();
      await this.#check;
      await connect();
    };
    return client;
  }

  async #checkSecurity(): Promise<void> {
    let last: unknown;
    for (let attempt = 1; attempt <= CHECK_ATTEMPTS; attempt++) {
      const admin = new Kafka(this.#probeConfig).admin();
      try {
        await admin.connect();
        return;
      } catch (err) {
        const failure = classifyConnectFailure(err);
        if (failure.kind === 'other') return; // unreachable: the clients' own retries handle it
        if (failure.kind !== 'closed') throw securityError(failure, this.#brokers, this.#security, err);
        last = err;
      } finally {
        await admin.disconnect().catch(() => {});
      }
      if (attempt < CHECK_ATTEMPTS) await new Promise((r) => setTimeout(r, CHECK_PAUSE_MS));
    }
    throw securityError({ kind: 'closed' }, this.#brokers, this.#security, last);
  }
}

/**
 * kafkajs 2.2.4 schedules its request-queue check with `throttledUntil - Date.now()` while
 * `throttledUntil` is -1, a negative delay that Node has always run as 1 ms; Node 24 also prints a
 * `TimeoutNegativeWarning` for it once per process (kafkajs issue #1751, unfixed upstream). The
 * behaviour is unchanged, so that one warning, raised from inside kafkajs, is dropped; every other
 * warning is emitted as before.
 */
function muteKafkajsNegativeTimeoutWarning(): void {
  const emit = process.emitWarning as (...args: unknown[]) => void;
  if ((emit as { hookstreamFiltered?: boolean }).hookstreamFiltered) return;
  const filtered = (...args: unknown[]) => {
    const [warning, typeOrOptions] = args;
    const type = typeof typeOrOptions === 'string' ? typeOrOptions : (warning as Error | undefined)?.name;
    if (type === 'TimeoutNegativeWarning' && /kafkajs[\\/]src[\\/]network/.test(new Error().stack ?? ''))
      return;
    emit.apply(process, args);
  };
  Object.assign(filtered, { hookstreamFiltered: true });
  process.emitWarning = filtered as typeof process.emitWarning;
}

export function createKafka(opts: KafkaOptions): Kafka {
  process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
  muteKafkajsNegativeTimeoutWarning();
  const config: KafkaJsConfig = {
    clientId: opts.clientId,
    brokers: [...opts.brokers],
    ...kafkaJsSecurity(opts.security),
    connectionTimeout: opts.connectionTimeoutMs ?? 3_000,
    requestTimeout: 30_000,
    logLevel: KafkaLogLevel.WARN,
    logCreator: pinoLogCreator(opts.logger),
    // Reconnect for a long time: a broker restart must not kill the roles.
    retry: { initialRetryTime: 300, maxRetryTime: 10_000, retries: 30 },
  };
  return new CheckedKafka(config, opts.brokers, opts.security);
}

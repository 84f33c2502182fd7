/**
 * The one pino logger factory. Secrets never reach a log line: every path that can carry one is
 * redacted here, and the secret-bearing objects of the code base are never logged whole.
 */
import { type DestinationStream, type Logger, pino } from 'pino';

export type { Logger };

export const REDACTED_PATHS = [
  'secret',
  'secrets',
  '*.secret',
  '*.secrets',
  'secret_key',
  '*.secret_key',
  'api_key',
  '*.api_key',
  'authorization',
  '*.authorization',
  'req.headers.authorization',
  'headers.authorization',
  'config.secretKey',
  'config.adminApiKey',
  'config.mongodb.uri',
  // Kafka SASL / TLS and schema registry credentials (kafkajs options, Config, mappersmith auth).
  'password',
  '*.password',
  'sasl.password',
  '*.sasl.password',
  'ssl.key',
  '*.ssl.key',
  'config.kafka.sasl.password',
  'config.kafka.ssl.key',
  'config.schemaRegistry.auth.password',
];

export function createLogger(
  opts: { level?: string; name?: string; base?: Record<string, unknown> } = {},
  destination?: DestinationStream,
): Logger {
  return pino(
    {
      level: opts.level ?? process.env.LOG_LEVEL ?? 'info',
      name: opts.name ?? 'hookstream',
      base: { pid: process.pid, ...opts.base },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}

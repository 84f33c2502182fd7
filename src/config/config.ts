/**
 * Configuration: environment variables → one validated, frozen `Config`.
 *
 * Every variable is declared once in `VARIABLES` (name, default, meaning); the README's table,
 * docker-compose and the Helm chart are checked against this list by tests.
 */
import { parseDuration } from '../core/duration.js';
import { HookstreamError } from '../core/errors.js';
import { parseTiers, type Tier } from '../core/retry-policy.js';

export interface VariableSpec {
  readonly name: string;
  /** Default as written in the environment; `undefined` = required or optional without default. */
  readonly default?: string;
  readonly required?: boolean;
  readonly secret?: boolean;
  readonly description: string;
}

export const VARIABLES = [
  {
    name: 'KAFKA_BROKERS',
    required: true,
    description: 'Comma-separated Kafka bootstrap servers, host:port.',
  },
  {
    name: 'MONGODB_URI',
    required: true,
    secret: true,
    description: 'MongoDB connection string; the database in its path is used (default `hookstream`).',
  },
  {
    name: 'SCHEMA_REGISTRY_URL',
    description:
      'Confluent-compatible schema registry for Avro events. Unset: Avro-framed events are quarantined.',
  },
  {
    name: 'HOOKSTREAM_EVENT_TOPICS',
    default: 'domain-events',
    description: 'Comma-separated domain-event topics the router consumes.',
  },
  {
    name: 'HOOKSTREAM_TOPIC_PREFIX',
    default: 'hookstream',
    description: 'Prefix of every topic and consumer group hookstream owns.',
  },
  {
    name: 'HOOKSTREAM_RETRY_TIERS',
    default: '1m,10m,1h,6h',
    description: 'Retry delays, increasing; the last repeats. Units ms, s, m, h, d.',
  },
  {
    name: 'HOOKSTREAM_RETRY_BUDGET',
    default: '24h',
    description: 'How long after the first attempt a delivery may still be retried.',
  },
  {
    name: 'HOOKSTREAM_DELIVERY_TIMEOUT_MS',
    default: '10000',
    description: 'Per-attempt timeout, milliseconds; a 2xx must arrive within it.',
  },
  {
    name: 'HOOKSTREAM_HEADER_PREFIX',
    default: 'Coverbase',
    description: 'Prefix of the delivery headers (`<prefix>-Signature`, …).',
  },
  {
    name: 'HOOKSTREAM_SENDER_CONCURRENCY',
    default: '256',
    description: 'In-flight HTTP attempts per sender consumer (the window).',
  },
  {
    name: 'HOOKSTREAM_WEBHOOK_REFRESH_MS',
    default: '2000',
    description: 'How often the router polls MongoDB for changed webhooks, milliseconds.',
  },
  {
    name: 'HOOKSTREAM_WEBHOOK_CACHE_MS',
    default: '2000',
    description: 'How long a sender caches a webhook (URL, status, secrets), milliseconds.',
  },
  {
    name: 'HOOKSTREAM_SECRET_OVERLAP',
    default: '24h',
    description: 'How long a rotated-out secret keeps signing.',
  },
  {
    name: 'HOOKSTREAM_DELIVERY_RECORDS',
    default: 'full',
    description:
      '`full`: a delivery record with its attempts for every delivery; `failures`: records only for deliveries that needed a retry (faster, less history).',
  },
  {
    name: 'HOOKSTREAM_LAG_INTERVAL_MS',
    default: '15000',
    description:
      'How often the router role measures consumer lag and tier overdue time for /metrics, milliseconds (0 disables).',
  },
  {
    name: 'HOOKSTREAM_TOPIC_PARTITIONS',
    default: '12',
    description: 'Partitions for topics created by `hookstream topics create`.',
  },
  {
    name: 'HOOKSTREAM_TOPIC_REPLICATION',
    default: '1',
    description: 'Replication factor for topics created by `hookstream topics create`.',
  },
  { name: 'HOOKSTREAM_API_PORT', default: '8080', description: 'Port of the admin API.' },
  { name: 'HOOKSTREAM_API_HOST', default: '0.0.0.0', description: 'Address the admin API listens on.' },
  {
    name: 'HOOKSTREAM_METRICS_PORT',
    default: '9464',
    description: 'Port of `/metrics`, `/healthz`, `/readyz` on every role (0 disables).',
  },
  {
    name: 'HOOKSTREAM_ADMIN_API_KEY',
    secret: true,
    description: 'Bootstrap admin API key (at least 16 characters). Required by the `api` role.',
  },
  {
    name: 'HOOKSTREAM_SECRET_KEY',
    secret: true,
    description:
      'Key that encrypts webhook secrets at rest (AES-256-GCM): 32 bytes as 64 hex chars or base64. Required by `api` and senders.',
  },
  { name: 'HOOKSTREAM_ALLOW_HTTP', default: 'false', description: 'Allow `http://` webhook URLs.' },
  {
    name: 'HOOKSTREAM_ALLOW_PRIVATE_TARGETS',
    default: 'false',
    description: 'Allow loopback, private, link-local, CGNAT and metadata targets.',
  },
  { name: 'LOG_LEVEL', default: 'info', description: 'pino level: fatal, error, warn, info, debug, trace.' },
] as const satisfies readonly VariableSpec[];

export type VariableName = (typeof VARIABLES)[number]['name'];
export const KNOWN_VARIABLES: ReadonlySet<string> = new Set(VARIABLES.map((v) => v.name));

export type DeliveryRecordMode = 'full' | 'failures';
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface Config {
  readonly kafka: { readonly brokers: readonly string[]; readonly clientId: string };
  readonly mongodb: { readonly uri: string };
  readonly schemaRegistryUrl: string | null;
  readonly eventTopics: readonly string[];
  readonly topicPrefix: string;
  readonly tiers: readonly Tier[];
  /** Retry budget from the first attempt, milliseconds. @default 24 h */
  readonly retryBudgetMs: number;
  /** @default 10_000 ms */
  readonly deliveryTimeoutMs: number;
  readonly headerPrefix: string;
  /** @default 256 attempts in flight per sender consumer */
  readonly senderConcurrency: number;
  /** @default 2_000 ms */
  readonly webhookRefreshMs: number;
  /** @default 2_000 ms */
  readonly webhookCacheMs: number;
  /** @default 24 h */
  readonly secretOverlapMs: number;
  readonly deliveryRecords: DeliveryRecordMode;
  /** @default 15_000 ms; 0 disables the lag collector */
  readonly lagIntervalMs: number;
  readonly topicPartitions: number;
  readonly topicReplication: number;
  readonly api: { readonly port: number; readonly host: string };
  readonly metricsPort: number;
  readonly adminApiKey: string | null;
  /** 32-byte AES key, or null when unset (roles that need it refuse to start). */
  readonly secretKey: Buffer | null;
  readonly allowHttp: boolean;
  readonly allowPrivateTargets: boolean;
  readonly logLevel: LogLevel;
}

type Env = Readonly<Record<string, string | undefined>>;

function bad(name: string, message: string): HookstreamError {
  return new HookstreamError('INVALID_CONFIG', `${name}: ${message}`, { details: { variable: name } });
}

function raw(env: Env, name: VariableName): string | undefined {
  const spec: VariableSpec = VARIABLES.find((v) => v.name === name)!;
  const value = env[name]?.trim();
  if (value === undefined || value === '') {
    if (spec.required) throw bad(name, 'is required but not set');
    return spec.default;
  }
  return value;
}

function str(env: Env, name: VariableName): string {
  return raw(env, name) ?? '';
}

function list(env: Env, name: VariableName): string[] {
  const items = str(env, name)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (items.length === 0) throw bad(name, 'must name at least one item');
  return items;
}

function int(env: Env, name: VariableName, min: number, max: number): number {
  const text = str(env, name);
  if (!/^\d+$/.test(text)) throw bad(name, `must be a whole number, got "${text}"`);
  const n = Number(text);
  if (n < min || n > max) throw bad(name, `must be between ${min} and ${max}, got ${n}`);
  return n;
}

function bool(env: Env, name: VariableName): boolean {
  const text = str(env, name).toLowerCase();
  if (['true', '1', 'yes'].includes(text)) return true;
  if (['false', '0', 'no'].includes(text)) return false;
  throw bad(name, `must be true or false, got "${text}"`);
}

function duration(env: Env, name: VariableName): number {
  try {
    return parseDuration(str(env, name));
  } catch (err) {
    throw bad(name, (err as Error).message);
  }
}

function secretKey(env: Env): Buffer | null {
  const text = raw(env, 'HOOKSTREAM_SECRET_KEY');
  if (text === undefined) return null;
  const key = /^[0-9a-fA-F]{64}$/.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'base64');
  if (key.length !== 32) {
    throw bad(
      'HOOKSTREAM_SECRET_KEY',
      'must be 32 bytes, as 64 hex characters or base64 (openssl rand -hex 32)',
    );
  }
  return key;
}

const TOPIC_RE = /^[a-zA-Z0-9._-]{1,200}$/;

/** Reads and validates the configuration; throws HookstreamError INVALID_CONFIG naming the variable. */
export function loadConfig(env: Env = process.env): Config {
  const brokers = list(env, 'KAFKA_BROKERS');
  for (const b of brokers) {
    if (!/^[^:\s]+:\d{1,5}$/.test(b)) throw bad('KAFKA_BROKERS', `"${b}" is not host:port`);
  }
  const mongoUri = str(env, 'MONGODB_URI');
  if (!/^mongodb(\+srv)?:\/\//.test(mongoUri))
    throw bad('MONGODB_URI', 'must start with mongodb:// or mongodb+srv://');
  const registry = raw(env, 'SCHEMA_REGISTRY_URL') ?? null;
  if (registry !== null && !/^https?:\/\//.test(registry))
    throw bad('SCHEMA_REGISTRY_URL', 'must be an http(s) URL');

  const eventTopics = list(env, 'HOOKSTREAM_EVENT_TOPICS');
  for (const t of eventTopics)
    if (!TOPIC_RE.test(t)) throw bad('HOOKSTREAM_EVENT_TOPICS', `"${t}" is not a valid topic name`);
  const topicPrefix = str(env, 'HOOKSTREAM_TOPIC_PREFIX');
  if (!TOPIC_RE.test(topicPrefix))
    throw bad('HOOKSTREAM_TOPIC_PREFIX', `"${topicPrefix}" is not a valid topic prefix`);

  let tiers: Tier[];
  try {
    tiers = parseTiers(str(env, 'HOOKSTREAM_RETRY_TIERS'));
  } catch (err) {
    throw bad('HOOKSTREAM_RETRY_TIERS', (err as Error).message);
  }
  const retryBudgetMs = duration(env, 'HOOKSTREAM_RETRY_BUDGET');

  const headerPrefix = str(env, 'HOOKSTREAM_HEADER_PREFIX');
  if (!/^[A-Za-z][A-Za-z0-9-]{0,39}$/.test(headerPrefix)) {
    throw bad('HOOKSTREAM_HEADER_PREFIX', 'must be letters, digits and dashes, starting with a letter');
  }
  const adminApiKey = raw(env, 'HOOKSTREAM_ADMIN_API_KEY') ?? null;
  if (adminApiKey !== null && adminApiKey.length < 16)
    throw bad('HOOKSTREAM_ADMIN_API_KEY', 'must be at least 16 characters');

  const mode = str(env, 'HOOKSTREAM_DELIVERY_RECORDS');
  if (mode !== 'full' && mode !== 'failures')
    throw bad('HOOKSTREAM_DELIVERY_RECORDS', 'must be "full" or "failures"');
  const logLevel = str(env, 'LOG_LEVEL').toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel))
    throw bad('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}`);

  const config: Config = {
    kafka: { brokers, clientId: 'hookstream' },
    mongodb: { uri: mongoUri },
    schemaRegistryUrl: registry,
    eventTopics,
    topicPrefix,
    tiers,
    retryBudgetMs,
    deliveryTimeoutMs: int(env, 'HOOKSTREAM_DELIVERY_TIMEOUT_MS', 100, 120_000),
    headerPrefix,
    senderConcurrency: int(env, 'HOOKSTREAM_SENDER_CONCURRENCY', 1, 10_000),
    webhookRefreshMs: int(env, 'HOOKSTREAM_WEBHOOK_REFRESH_MS', 100, 60_000),
    webhookCacheMs: int(env, 'HOOKSTREAM_WEBHOOK_CACHE_MS', 0, 60_000),
    secretOverlapMs: duration(env, 'HOOKSTREAM_SECRET_OVERLAP'),
    deliveryRecords: mode,
    lagIntervalMs: int(env, 'HOOKSTREAM_LAG_INTERVAL_MS', 0, 3_600_000),
    topicPartitions: int(env, 'HOOKSTREAM_TOPIC_PARTITIONS', 1, 10_000),
    topicReplication: int(env, 'HOOKSTREAM_TOPIC_REPLICATION', 1, 10),
    api: { port: int(env, 'HOOKSTREAM_API_PORT', 0, 65_535), host: str(env, 'HOOKSTREAM_API_HOST') },
    metricsPort: int(env, 'HOOKSTREAM_METRICS_PORT', 0, 65_535),
    adminApiKey,
    secretKey: secretKey(env),
    allowHttp: bool(env, 'HOOKSTREAM_ALLOW_HTTP'),
    allowPrivateTargets: bool(env, 'HOOKSTREAM_ALLOW_PRIVATE_TARGETS'),
    logLevel: logLevel as LogLevel,
  };
  return deepFreeze(config);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Buffer.isBuffer(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

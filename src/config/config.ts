/**
 * Configuration: environment variables → one validated, frozen `Config`.
 *
 * Every variable is declared once in `VARIABLES` (name, default, meaning); the README's table,
 * docker-compose and the Helm chart are checked against this list by tests.
 */
import { readFileSync } from 'node:fs';
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
    description:
      'MongoDB connection string; the database in its path is used (default `hookstream`). TLS: `?tls=true&tlsCAFile=/path/ca.pem`.',
  },
  {
    name: 'SCHEMA_REGISTRY_URL',
    description:
      'Confluent-compatible schema registry for Avro events. Unset: Avro-framed events are quarantined.',
  },
  {
    name: 'KAFKA_SSL',
    default: 'false',
    description: 'Connect to Kafka over TLS (every Kafka client: router, senders, API, lag, CLI).',
  },
  {
    name: 'KAFKA_SSL_CA_FILE',
    description: "PEM file of the CA(s) that sign the brokers' certificates. Unset: the system trust store.",
  },
  {
    name: 'KAFKA_SSL_CERT_FILE',
    description: 'PEM client certificate for mutual TLS (with `KAFKA_SSL_KEY_FILE`).',
  },
  {
    name: 'KAFKA_SSL_KEY_FILE',
    secret: true,
    description: 'PEM private key of the client certificate (mutual TLS).',
  },
  {
    name: 'KAFKA_SSL_REJECT_UNAUTHORIZED',
    default: 'true',
    description: 'Refuse brokers whose certificate does not verify. `false` only for throwaway tests.',
  },
  {
    name: 'KAFKA_SASL_MECHANISM',
    description: 'SASL mechanism: `plain`, `scram-sha-256` or `scram-sha-512`. Unset: no SASL.',
  },
  { name: 'KAFKA_SASL_USERNAME', description: 'SASL user name (with `KAFKA_SASL_MECHANISM`).' },
  {
    name: 'KAFKA_SASL_PASSWORD',
    secret: true,
    description: 'SASL password. Prefer `KAFKA_SASL_PASSWORD_FILE`.',
  },
  {
    name: 'KAFKA_SASL_PASSWORD_FILE',
    description: 'File holding the SASL password (a mounted Kubernetes secret); trailing newline ignored.',
  },
  { name: 'SCHEMA_REGISTRY_USERNAME', description: 'Schema registry basic-auth user name.' },
  {
    name: 'SCHEMA_REGISTRY_PASSWORD',
    secret: true,
    description: 'Schema registry basic-auth password. Prefer `SCHEMA_REGISTRY_PASSWORD_FILE`.',
  },
  {
    name: 'SCHEMA_REGISTRY_PASSWORD_FILE',
    description: 'File holding the schema registry password; trailing newline ignored.',
  },
  {
    name: 'SCHEMA_REGISTRY_CA_FILE',
    description:
      "PEM file of the CA that signs the schema registry's certificate (with an `https://` `SCHEMA_REGISTRY_URL`). Unset: the system trust store.",
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
      'How often each role measures its own consumer lag and overdue time for /metrics (one process per group reports), milliseconds (0 disables).',
  },
  {
    name: 'HOOKSTREAM_KAFKA_SESSION_TIMEOUT',
    default: '10s',
    description:
      "Consumer group session timeout (heartbeat every third of it): how long a killed member's partitions wait before moving.",
  },
  {
    name: 'HOOKSTREAM_SENDER_MAX_INFLIGHT_BYTES',
    default: '67108864',
    description:
      'Bytes of job bodies in flight per sender process, summed over its consumers (64 MiB); a job waits for room, never dropped.',
  },
  {
    name: 'HOOKSTREAM_DEDUPE_WINDOW',
    default: '24h',
    description:
      'The same (environment, event_id) arriving again within this window is routed once (`0` = off).',
  },
  {
    name: 'HOOKSTREAM_MAX_WEBHOOKS_PER_ENVIRONMENT',
    default: '200',
    description: 'Webhooks one environment may have (API and CLI answer 422 LIMIT_EXCEEDED beyond it).',
  },
  {
    name: 'HOOKSTREAM_DISABLE_AFTER',
    default: '5d',
    description:
      'A webhook whose deliveries all failed for this long is disabled (`persistent_failure`; `0` = never).',
  },
  {
    name: 'HOOKSTREAM_DISABLE_MIN_ATTEMPTS',
    default: '10',
    description: 'Failed attempts needed (within `HOOKSTREAM_DISABLE_AFTER`) before a webhook is disabled.',
  },
  {
    name: 'HOOKSTREAM_RECORD_RETENTION',
    default: '30d',
    description:
      'Delivery records older than this are removed (TTL index, or a sweeper where there is none).',
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
    name: 'HOOKSTREAM_API_AUTH_FAILURES_PER_MINUTE',
    default: '20',
    description:
      'Failed authentications one client address may make per minute before the admin API answers 429.',
  },
  {
    name: 'HOOKSTREAM_METRICS_PORT',
    default: '9464',
    description: 'Port of `/metrics`, `/healthz`, `/readyz` on every role (0 disables).',
  },
  {
    name: 'HOOKSTREAM_ADMIN_API_KEY',
    secret: true,
    description:
      'Bootstrap admin API key: at least 32 characters (`hookstream api-keys generate-admin`). Required by the `api` role.',
  },
  {
    name: 'HOOKSTREAM_SECRET_KEY',
    secret: true,
    description:
      'Key that encrypts webhook secrets at rest (AES-256-GCM): 32 bytes as exactly 64 hex characters or 44 base64 characters (`openssl rand -hex 32`). Required by `api` and senders.',
  },
  { name: 'HOOKSTREAM_ALLOW_HTTP', default: 'false', description: 'Allow `http://` webhook URLs.' },
  {
    name: 'HOOKSTREAM_ALLOW_PRIVATE_TARGETS',
    default: 'false',
    description: 'Allow loopback, private, link-local, CGNAT and metadata targets.',
  },
  {
    name: 'HOOKSTREAM_TRACE_PROPAGATE',
    default: 'false',
    description:
      'Send a W3C `traceparent` header (the attempt span) on every delivery POST. Only while tracing is on (an `OTEL_*` OTLP exporter configured).',
  },
  { name: 'LOG_LEVEL', default: 'info', description: 'pino level: fatal, error, warn, info, debug, trace.' },
] as const satisfies readonly VariableSpec[];

export type VariableName = (typeof VARIABLES)[number]['name'];
export const KNOWN_VARIABLES: ReadonlySet<string> = new Set(VARIABLES.map((v) => v.name));

export type DeliveryRecordMode = 'full' | 'failures';
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export type SaslMechanism = 'plain' | 'scram-sha-256' | 'scram-sha-512';

/** TLS settings with the files already read (PEM text). */
export interface TlsConfig {
  readonly ca: string | null;
  readonly cert: string | null;
  readonly key: string | null;
  readonly rejectUnauthorized: boolean;
}

export interface KafkaConfig {
  readonly brokers: readonly string[];
  readonly clientId: string;
  /** null: plaintext. */
  readonly ssl: TlsConfig | null;
  /** null: no SASL. The password is never logged. */
  readonly sasl: {
    readonly mechanism: SaslMechanism;
    readonly username: string;
    readonly password: string;
  } | null;
  /** Consumer group session timeout, milliseconds; heartbeats every third of it. @default 10_000 */
  readonly sessionTimeoutMs: number;
}

export interface SchemaRegistryConfig {
  readonly url: string;
  readonly auth: { readonly username: string; readonly password: string } | null;
  /** PEM text of the CA, or null for the system trust store. */
  readonly ca: string | null;
}

export interface Config {
  readonly kafka: KafkaConfig;
  readonly mongodb: { readonly uri: string };
  readonly schemaRegistryUrl: string | null;
  /** Registry URL with credentials and CA; null when `SCHEMA_REGISTRY_URL` is unset. */
  readonly schemaRegistry: SchemaRegistryConfig | null;
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
  /** Bytes of job bodies in flight per sender process. @default 64 MiB */
  readonly senderMaxInflightBytes: number;
  /** Ingest dedupe window, milliseconds; 0 turns deduplication off. @default 24 h */
  readonly dedupeWindowMs: number;
  /** @default 200 webhooks per environment */
  readonly maxWebhooksPerEnvironment: number;
  /** All-failing time after which a webhook is disabled, milliseconds; 0 = never. @default 5 d */
  readonly disableAfterMs: number;
  /** @default 10 failed attempts */
  readonly disableMinAttempts: number;
  /** Delivery record retention, milliseconds. @default 30 d */
  readonly recordRetentionMs: number;
  /** @default 15_000 ms; 0 disables the lag collector */
  readonly lagIntervalMs: number;
  readonly topicPartitions: number;
  readonly topicReplication: number;
  readonly api: {
    readonly port: number;
    readonly host: string;
    /** Failed authentications per client address and minute before 429. @default 20 */
    readonly authFailuresPerMinute: number;
  };
  readonly metricsPort: number;
  readonly adminApiKey: string | null;
  /** 32-byte AES key, or null when unset (roles that need it refuse to start). */
  readonly secretKey: Buffer | null;
  readonly allowHttp: boolean;
  readonly allowPrivateTargets: boolean;
  /** `HOOKSTREAM_TRACE_PROPAGATE`: `traceparent` on outbound POSTs (tracing on only). */
  readonly tracePropagate: boolean;
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

/** A duration where a bare `0` (no unit) is documented to mean "off". */
function durationOrOff(env: Env, name: VariableName): number {
  return str(env, name).trim() === '0' ? 0 : duration(env, name);
}

/**
 * 32 bytes, written exactly as 64 hex characters or as the 44-character base64 of 32 bytes; anything
 * else (a passphrase, loose or truncated base64) is refused, naming only the length.
 */
function secretKey(env: Env): Buffer | null {
  const text = raw(env, 'HOOKSTREAM_SECRET_KEY');
  if (text === undefined) return null;
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, 'hex');
  if (/^[A-Za-z0-9+/]{43}=$/.test(text)) {
    const key = Buffer.from(text, 'base64');
    if (key.length === 32 && key.toString('base64') === text) return key;
  }
  throw bad(
    'HOOKSTREAM_SECRET_KEY',
    `must be 32 bytes written as 64 hex characters or 44 base64 characters (openssl rand -hex 32); got ${text.length} characters that are neither`,
  );
}

/** Shortest admin key, characters; `hookstream api-keys generate-admin` makes a 43-character one. */
const MIN_ADMIN_KEY_LENGTH = 32;
/** Fewest different characters in the admin key (refuses `aaaa…` and other patterns). */
const MIN_ADMIN_KEY_DISTINCT = 8;

function adminKey(env: Env): string | null {
  const key = raw(env, 'HOOKSTREAM_ADMIN_API_KEY') ?? null;
  if (key === null) return null;
  if (key.length < MIN_ADMIN_KEY_LENGTH || new Set(key).size < MIN_ADMIN_KEY_DISTINCT) {
    throw bad(
      'HOOKSTREAM_ADMIN_API_KEY',
      `must be at least ${MIN_ADMIN_KEY_LENGTH} characters with at least ${MIN_ADMIN_KEY_DISTINCT} different ones (hookstream api-keys generate-admin makes one)`,
    );
  }
  return key;
}

/** Reads a file named by `name` (PEM, password file); the error names the variable and the path, never the content. */
function fileText(env: Env, name: VariableName, readFile: (path: string) => string): string | null {
  const path = raw(env, name);
  if (path === undefined) return null;
  try {
    return readFile(path);
  } catch (err) {
    throw bad(
      name,
      `cannot read "${path}": ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
}

/**
 * A PEM file of the expected kind: a wrong path (a key where the CA belongs, a DER file) otherwise
 * surfaces later as an unexplained TLS failure. The error names the variable and the path only.
 */
function pemFile(
  env: Env,
  name: VariableName,
  kind: 'certificate' | 'private key',
  readFile: (path: string) => string,
): string | null {
  const text = fileText(env, name, readFile);
  if (text === null) return null;
  const ok =
    kind === 'certificate'
      ? text.includes('-----BEGIN CERTIFICATE-----')
      : /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text);
  if (!ok) throw bad(name, `"${raw(env, name)}" holds no PEM ${kind} (-----BEGIN ${kind.toUpperCase()}…)`);
  if (kind === 'private key' && text.includes('ENCRYPTED'))
    throw bad(
      name,
      `"${raw(env, name)}" is an encrypted key; give an unencrypted PEM key (a mounted secret)`,
    );
  return text;
}

/** A secret given inline (`NAME`) or in a file (`NAME_FILE`), not both. */
function secretValue(
  env: Env,
  name: VariableName,
  fileName: VariableName,
  readFile: (path: string) => string,
): string | null {
  const inline = raw(env, name);
  const fromFile = fileText(env, fileName, readFile);
  if (inline !== undefined && fromFile !== null)
    throw bad(fileName, `set either ${name} or ${fileName}, not both`);
  if (fromFile !== null) {
    const value = fromFile.replace(/\r?\n$/, '');
    if (value === '') throw bad(fileName, 'the file is empty');
    return value;
  }
  return inline ?? null;
}

const SASL_MECHANISMS: readonly SaslMechanism[] = ['plain', 'scram-sha-256', 'scram-sha-512'];

function kafkaSecurity(env: Env, readFile: (path: string) => string): Pick<KafkaConfig, 'ssl' | 'sasl'> {
  const ca = pemFile(env, 'KAFKA_SSL_CA_FILE', 'certificate', readFile);
  const cert = pemFile(env, 'KAFKA_SSL_CERT_FILE', 'certificate', readFile);
  const key = pemFile(env, 'KAFKA_SSL_KEY_FILE', 'private key', readFile);
  if ((cert === null) !== (key === null)) {
    throw bad(
      cert === null ? 'KAFKA_SSL_CERT_FILE' : 'KAFKA_SSL_KEY_FILE',
      'mutual TLS needs both KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE',
    );
  }
  const sslOn = bool(env, 'KAFKA_SSL');
  const rejectUnauthorized = bool(env, 'KAFKA_SSL_REJECT_UNAUTHORIZED');
  if (!sslOn && (ca !== null || cert !== null)) {
    throw bad(ca !== null ? 'KAFKA_SSL_CA_FILE' : 'KAFKA_SSL_CERT_FILE', 'is set but KAFKA_SSL is not true');
  }
  const ssl: TlsConfig | null = sslOn ? { ca, cert, key, rejectUnauthorized } : null;

  const mechanismText = raw(env, 'KAFKA_SASL_MECHANISM')?.toLowerCase();
  const username = raw(env, 'KAFKA_SASL_USERNAME');
  const password = secretValue(env, 'KAFKA_SASL_PASSWORD', 'KAFKA_SASL_PASSWORD_FILE', readFile);
  if (mechanismText === undefined) {
    if (username !== undefined || password !== null)
      throw bad('KAFKA_SASL_MECHANISM', 'is required when a SASL user name or password is set');
    return { ssl, sasl: null };
  }
  if (!(SASL_MECHANISMS as readonly string[]).includes(mechanismText))
    throw bad('KAFKA_SASL_MECHANISM', `must be one of ${SASL_MECHANISMS.join(', ')}, got "${mechanismText}"`);
  if (username === undefined)
    throw bad('KAFKA_SASL_USERNAME', `is required with KAFKA_SASL_MECHANISM=${mechanismText}`);
  if (password === null)
    throw bad(
      'KAFKA_SASL_PASSWORD',
      `(or KAFKA_SASL_PASSWORD_FILE) is required with KAFKA_SASL_MECHANISM=${mechanismText}`,
    );
  return { ssl, sasl: { mechanism: mechanismText as SaslMechanism, username, password } };
}

function schemaRegistry(
  env: Env,
  url: string | null,
  readFile: (path: string) => string,
): SchemaRegistryConfig | null {
  const username = raw(env, 'SCHEMA_REGISTRY_USERNAME');
  const password = secretValue(env, 'SCHEMA_REGISTRY_PASSWORD', 'SCHEMA_REGISTRY_PASSWORD_FILE', readFile);
  const ca = pemFile(env, 'SCHEMA_REGISTRY_CA_FILE', 'certificate', readFile);
  if ((username === undefined) !== (password === null))
    throw bad(
      username === undefined ? 'SCHEMA_REGISTRY_USERNAME' : 'SCHEMA_REGISTRY_PASSWORD',
      'user name and password go together',
    );
  if (url === null) {
    if (username !== undefined || ca !== null)
      throw bad('SCHEMA_REGISTRY_URL', 'is required when registry credentials or a CA are set');
    return null;
  }
  if (ca !== null && !url.startsWith('https://'))
    throw bad('SCHEMA_REGISTRY_CA_FILE', 'is set but SCHEMA_REGISTRY_URL is not an https:// URL');
  return { url, auth: username === undefined ? null : { username, password: password! }, ca };
}

const TOPIC_RE = /^[a-zA-Z0-9._-]{1,200}$/;

/** Reads and validates the configuration; throws HookstreamError INVALID_CONFIG naming the variable. */
export function loadConfig(
  env: Env = process.env,
  readFile: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): Config {
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
  const adminApiKey = adminKey(env);

  const mode = str(env, 'HOOKSTREAM_DELIVERY_RECORDS');
  if (mode !== 'full' && mode !== 'failures')
    throw bad('HOOKSTREAM_DELIVERY_RECORDS', 'must be "full" or "failures"');
  const logLevel = str(env, 'LOG_LEVEL').toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel))
    throw bad('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}`);

  const sessionTimeoutMs = duration(env, 'HOOKSTREAM_KAFKA_SESSION_TIMEOUT');
  if (sessionTimeoutMs < 6_000 || sessionTimeoutMs > 300_000)
    throw bad(
      'HOOKSTREAM_KAFKA_SESSION_TIMEOUT',
      "must be between 6s and 300s (the broker's group.min/max.session.timeout.ms)",
    );
  const disableAfterMs = durationOrOff(env, 'HOOKSTREAM_DISABLE_AFTER');
  const recordRetentionMs = duration(env, 'HOOKSTREAM_RECORD_RETENTION');
  if (recordRetentionMs < 1_000) throw bad('HOOKSTREAM_RECORD_RETENTION', 'must be at least 1s');

  const config: Config = {
    kafka: { brokers, clientId: 'hookstream', ...kafkaSecurity(env, readFile), sessionTimeoutMs },
    mongodb: { uri: mongoUri },
    schemaRegistryUrl: registry,
    schemaRegistry: schemaRegistry(env, registry, readFile),
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
    senderMaxInflightBytes: int(env, 'HOOKSTREAM_SENDER_MAX_INFLIGHT_BYTES', 1_048_576, 4_294_967_296),
    dedupeWindowMs: durationOrOff(env, 'HOOKSTREAM_DEDUPE_WINDOW'),
    maxWebhooksPerEnvironment: int(env, 'HOOKSTREAM_MAX_WEBHOOKS_PER_ENVIRONMENT', 1, 100_000),
    disableAfterMs,
    disableMinAttempts: int(env, 'HOOKSTREAM_DISABLE_MIN_ATTEMPTS', 1, 1_000_000),
    recordRetentionMs,
    lagIntervalMs: int(env, 'HOOKSTREAM_LAG_INTERVAL_MS', 0, 3_600_000),
    topicPartitions: int(env, 'HOOKSTREAM_TOPIC_PARTITIONS', 1, 10_000),
    topicReplication: int(env, 'HOOKSTREAM_TOPIC_REPLICATION', 1, 10),
    api: {
      port: int(env, 'HOOKSTREAM_API_PORT', 0, 65_535),
      host: str(env, 'HOOKSTREAM_API_HOST'),
      authFailuresPerMinute: int(env, 'HOOKSTREAM_API_AUTH_FAILURES_PER_MINUTE', 1, 1_000_000),
    },
    metricsPort: int(env, 'HOOKSTREAM_METRICS_PORT', 0, 65_535),
    adminApiKey,
    secretKey: secretKey(env),
    allowHttp: bool(env, 'HOOKSTREAM_ALLOW_HTTP'),
    allowPrivateTargets: bool(env, 'HOOKSTREAM_ALLOW_PRIVATE_TARGETS'),
    tracePropagate: bool(env, 'HOOKSTREAM_TRACE_PROPAGATE'),
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

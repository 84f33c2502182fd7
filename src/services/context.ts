/**
 * What the service layer needs, passed in: the database, the policy parts of the configuration,
 * the way jobs reach Kafka, and the clock, randomness and DNS (replaceable in tests).
 * The admin API and the CLI build one of these and call the same functions.
 */
import { randomBytes as cryptoRandomBytes } from 'node:crypto';
import type { Db } from 'mongodb';
import type { Config } from '../config/config.js';
import { HookstreamError } from '../core/errors.js';
import type { DeliveryJob } from '../core/job.js';
import type { OperationalEvent } from '../core/operational.js';
import type { Logger } from '../observability/logger.js';
import { type LookupAll, systemLookup } from './targets.js';

/** Produces jobs to the deliveries topic; resolves once Kafka acknowledged all of them. */
export type Enqueue = (jobs: readonly DeliveryJob[]) => Promise<void>;

/** Publishes operational events to `<prefix>.operational`; resolves once Kafka acknowledged them. */
export type PublishOperational = (events: readonly OperationalEvent[]) => Promise<void>;

export type ServiceConfig = Pick<
  Config,
  'secretKey' | 'allowHttp' | 'allowPrivateTargets' | 'secretOverlapMs'
> &
  /** Absent: the default of HOOKSTREAM_MAX_WEBHOOKS_PER_ENVIRONMENT (200). */
  Partial<Pick<Config, 'maxWebhooksPerEnvironment'>> &
  /** Absent: the default of HOOKSTREAM_HEADER_PREFIX (Coverbase); custom headers may not collide with it. */
  Partial<Pick<Config, 'headerPrefix'>>;

export interface ServiceContext {
  readonly db: Db;
  readonly config: ServiceConfig;
  readonly enqueue: Enqueue;
  readonly logger: Logger;
  readonly now: () => Date;
  readonly randomBytes: (size: number) => Buffer;
  /** Resolves a host name to all its addresses (registration-time SSRF check). */
  readonly lookup: LookupAll;
  /** Where `webhook.enabled` / `webhook.disabled` (manual) go; absent: no events (tests, no Kafka). */
  readonly publishOperational?: PublishOperational;
}

export interface ServiceContextOptions {
  db: Db;
  config: ServiceConfig;
  logger: Logger;
  /** @default an enqueue that refuses (for callers that never send, like the CLI) */
  enqueue?: Enqueue;
  now?: () => Date;
  randomBytes?: (size: number) => Buffer;
  lookup?: LookupAll;
  publishOperational?: PublishOperational;
}

export function createServiceContext(opts: ServiceContextOptions): ServiceContext {
  return {
    db: opts.db,
    config: opts.config,
    logger: opts.logger,
    enqueue:
      opts.enqueue ??
      (async () => {
        throw new HookstreamError(
          'STORE_UNAVAILABLE',
          'this process has no Kafka producer; nothing was queued',
        );
      }),
    now: opts.now ?? (() => new Date()),
    randomBytes: opts.randomBytes ?? cryptoRandomBytes,
    lookup: opts.lookup ?? systemLookup,
    ...(opts.publishOperational ? { publishOperational: opts.publishOperational } : {}),
  };
}

/** The AES key, or the error every secret-handling operation gives without one. */
export function requireSecretKey(config: ServiceConfig): Buffer {
  if (config.secretKey === null) {
    throw new HookstreamError(
      'INVALID_CONFIG',
      'HOOKSTREAM_SECRET_KEY: is required to create or rotate webhook secrets (openssl rand -hex 32)',
      { details: { variable: 'HOOKSTREAM_SECRET_KEY' } },
    );
  }
  return config.secretKey;
}

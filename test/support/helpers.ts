/** Test helpers: unique names, waiting on conditions, and resources that are always closed. */
import { randomBytes } from 'node:crypto';
import type { Admin, Kafka } from 'kafkajs';
import { type Db, MongoClient } from 'mongodb';
import { afterAll, afterEach, inject } from 'vitest';
import { createKafka } from '../../src/kafka/client.js';
import { createLogger, type Logger } from '../../src/observability/logger.js';

/** A name no other test (or earlier run) uses: `<prefix>-<time>-<random>`, safe for topics, groups and databases. */
export function uniqueName(prefix = 't'): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
}

export interface WaitOptions {
  /** @default 15_000 ms */
  timeout?: number;
  /** @default 50 ms */
  interval?: number;
  /** Shown when the wait times out. */
  message?: string;
}

/** Polls `cond` until it returns a truthy value (which is returned) or the timeout passes. */
export async function waitFor<T>(
  cond: () => T | Promise<T>,
  opts: WaitOptions = {},
): Promise<NonNullable<T>> {
  const timeout = opts.timeout ?? 15_000;
  const deadline = Date.now() + timeout;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await cond();
      if (value) return value as NonNullable<T>;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const why = lastError ? `; last error: ${(lastError as Error).message}` : '';
      throw new Error(`waitFor timed out after ${timeout} ms: ${opts.message ?? cond.toString()}${why}`);
    }
    await new Promise((r) => setTimeout(r, opts.interval ?? 50));
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function services(): { kafkaBrokers: string[]; mongoUri: string } {
  return { kafkaBrokers: inject('kafkaBrokers').split(','), mongoUri: inject('mongoUri') };
}

/** A MongoDB URI naming a database of its own. */
export function uniqueMongoUri(prefix = 'hs'): string {
  const base = inject('mongoUri');
  const name = uniqueName(prefix).replace(/-/g, '_');
  return base.replace(/^(mongodb(?:\+srv)?:\/\/[^/]+)(\/[^?]*)?/, `$1/${name}`);
}

export const testLogger: Logger = createLogger({
  level: process.env.TEST_LOG_LEVEL ?? 'silent',
  name: 'test',
});

type Closer = () => unknown | Promise<unknown>;

/**
 * Resources a test (or a file) opened, closed in reverse order after each test — even when it fails.
 * `const r = resources()` at the top of a describe block.
 */
export function resources(scope: 'each' | 'all' = 'each') {
  const closers: Closer[] = [];
  const closeAll = async () => {
    while (closers.length > 0) {
      const close = closers.pop()!;
      try {
        await close();
      } catch (err) {
        process.stderr.write(`cleanup failed: ${(err as Error).message}\n`);
      }
    }
  };
  (scope === 'each' ? afterEach : afterAll)(closeAll, 60_000);
  const api = {
    /** Registers a closer; returns the value for chaining. */
    add<T>(value: T, close: (v: T) => unknown | Promise<unknown>): T {
      closers.push(() => close(value));
      return value;
    },
    kafka(logger: Logger = testLogger): Kafka {
      return createKafka({ brokers: services().kafkaBrokers, clientId: uniqueName('test'), logger });
    },
    async admin(kafka: Kafka = api.kafka()): Promise<Admin> {
      const admin = kafka.admin();
      await admin.connect();
      return api.add(admin, (a) => a.disconnect());
    },
    /** A connected client on a fresh database, dropped afterwards. */
    async mongo(): Promise<{ client: MongoClient; db: Db; uri: string }> {
      const uri = uniqueMongoUri();
      const client = await new MongoClient(uri, { serverSelectionTimeoutMS: 5_000 }).connect();
      const db = client.db();
      api.add(client, async (c) => {
        await db.dropDatabase().catch(() => {});
        await c.close();
      });
      return { client, db, uri };
    },
    closeAll,
  };
  return api;
}

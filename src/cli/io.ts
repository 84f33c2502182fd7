/**
 * What every CLI command shares: where it writes (stdout: the command's output only; stderr: logs,
 * notes and errors), its configuration, and a deadline on every broker and database call
 * (`--timeout`, default 10 s), so an unreachable service ends the command with one stderr line
 * and exit code 1 instead of a hang.
 */
import type { Producer } from 'kafkajs';
import { type Config, loadConfig } from '../config/config.js';
import { topicNames } from '../config/topics.js';
import { HookstreamError } from '../core/errors.js';
import { createKafka } from '../kafka/client.js';
import { operationalPublisher } from '../kafka/operational-publisher.js';
import { connectMongo, type Mongo } from '../mongo/client.js';
import { mapMongoError } from '../mongo/errors.js';
import { createLogger, type Logger } from '../observability/logger.js';
import { createServiceContext, type ServiceContext } from '../services/context.js';
import { withDeadline as raceDeadline } from '../services/deadline.js';
import { kafkaEnqueue } from '../services/enqueue.js';

/** Default for `--timeout`, seconds. */
export const DEFAULT_TIMEOUT_SEC = 10;

/** Where a command reads its configuration and writes its output (tests pass their own). */
export interface CliIo {
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly stdout?: { write(text: string): unknown };
  readonly stderr?: { write(text: string): unknown };
}

/** A command's run-time: resolved streams, the deadline, the log level. */
export interface Cli {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly timeoutMs: number;
  /** Log lines (JSON, to stderr) at LOG_LEVEL with --verbose; otherwise none. */
  readonly verbose: boolean;
}

export function cliOf(io: CliIo, opts: { timeout?: number; verbose?: boolean }): Cli {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  return {
    env: io.env ?? process.env,
    out: (text) => void stdout.write(text),
    err: (text) => void stderr.write(text),
    timeoutMs: (opts.timeout ?? DEFAULT_TIMEOUT_SEC) * 1000,
    verbose: opts.verbose === true,
  };
}

export function config(cli: Cli): Config {
  return loadConfig(cli.env);
}

/** Logs go to stderr only, so stdout stays parseable (`lag --json | jq`). */
export function cliLogger(cli: Cli, name: string, cfg?: Config): Logger {
  return createLogger(
    { level: cli.verbose ? (cfg?.logLevel ?? 'info') : 'silent', name },
    { write: (line: string) => cli.err(line) },
  );
}

/** Runs `fn`, or fails with STORE_UNAVAILABLE naming `what` when it takes longer than the deadline. */
export function withDeadline<T>(cli: Cli, what: string, fn: () => Promise<T>): Promise<T> {
  return raceDeadline(
    fn(),
    cli.timeoutMs,
    () =>
      new HookstreamError(
        'STORE_UNAVAILABLE',
        `${what} did not answer within ${cli.timeoutMs / 1000} s (--timeout)`,
      ),
  );
}

export interface ServicesOptions {
  /** Also connect a Kafka producer, so the context can queue jobs (test, retry, replay) and publish operational events (enable, disable). */
  readonly kafka?: boolean;
}

/**
 * Connects to MongoDB (and Kafka when asked), runs `fn` with a service context, and disconnects —
 * all within the deadline.
 */
export async function withServices<T>(
  cli: Cli,
  fn: (ctx: ServiceContext, config: Config) => Promise<T>,
  opts: ServicesOptions = {},
): Promise<T> {
  const cfg = config(cli);
  const logger = cliLogger(cli, 'cli', cfg);
  let mongo: Mongo | undefined;
  let producer: Producer | undefined;
  const what = opts.kafka ? `MongoDB or Kafka (${cfg.kafka.brokers.join(',')})` : 'MongoDB';
  try {
    return await withDeadline(cli, what, async () => {
      try {
        mongo = await connectMongo(cfg.mongodb.uri, { appName: 'hookstream-cli' });
      } catch (err) {
        throw mapMongoError(err, 'the command');
      }
      let enqueue: ReturnType<typeof kafkaEnqueue> | undefined;
      if (opts.kafka) {
        producer = createKafka({
          brokers: cfg.kafka.brokers,
          security: cfg.kafka,
          clientId: 'hookstream-cli',
          logger,
        }).producer({ idempotent: true, maxInFlightRequests: 1 });
        await producer.connect();
        enqueue = kafkaEnqueue(producer, topicNames(cfg.topicPrefix, cfg.tiers).deliveries);
      }
      const operational =
        producer &&
        operationalPublisher(producer, {
          topic: topicNames(cfg.topicPrefix, cfg.tiers).operational,
          logger,
        });
      const ctx = createServiceContext({
        db: mongo.db,
        config: cfg,
        logger,
        ...(enqueue ? { enqueue } : {}),
        ...(operational ? { publishOperational: (events) => operational.publish(events) } : {}),
      });
      return fn(ctx, cfg);
    });
  } finally {
    await closeWithin(mongo?.close(), producer?.disconnect());
  }
}

/** Longest a command waits for its clients to close, milliseconds. */
const CLOSE_WAIT_MS = 1_000;

/**
 * Waits for clients to close, at most CLOSE_WAIT_MS: a client that never connected may keep
 * retrying, and is left to the process exit.
 */
export async function closeWithin(...closing: (Promise<unknown> | undefined)[]): Promise<void> {
  await Promise.race([
    Promise.allSettled(closing),
    new Promise((resolve) => setTimeout(resolve, CLOSE_WAIT_MS).unref()),
  ]);
}

/** Pretty JSON for stdout. */
export const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;

/** Columns padded to their widest cell. */
export function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((l) => l[i]!.length)));
  const row = (cells: readonly string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return `${rows.map(row).join('\n')}\n`;
}

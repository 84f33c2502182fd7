/** What every role shares: configuration, logger, the ops server, MongoDB with start-up retries. */
import { type Config, loadConfig } from '../config/config.js';
import { HookstreamError } from '../core/errors.js';
import { type ConnectOptions, connectMongo, type Mongo, mongoSecurityError } from '../mongo/client.js';
import { createLogger, type Logger } from '../observability/logger.js';
import { packageVersion } from '../observability/metrics.js';
import { OpsServer } from '../observability/ops-server.js';
import { initTracing } from '../observability/tracing.js';
import { type Component, runUntilSignal } from './lifecycle.js';

export interface RoleContext {
  readonly config: Config;
  readonly logger: Logger;
  readonly signal: AbortSignal;
  readonly ops: OpsServer;
  /** Push a component as soon as it runs; closed in reverse order on shutdown. */
  readonly started: Component[];
}

export type RoleStarter = (ctx: RoleContext) => Promise<void>;

/** Runs one or more role starters in one process until SIGTERM/SIGINT; returns the exit code. */
export async function runRole(role: string, ...starters: RoleStarter[]): Promise<number> {
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel, base: { role } });
  logger.info(
    { role, node: process.version, pid: process.pid },
    `hookstream ${role} starting on Node.js ${process.version}`,
  );
  warnDevSecrets(config, logger);
  // A bug that escapes every handler (a throw from a timer, a rejection nobody awaited) ends the
  // process, as Node would, but with one fatal log line instead of a bare stack on stderr. In-flight
  // work is not finished; uncommitted offsets are read again by the next owner (at least once).
  process.once('uncaughtException', (err) => {
    logger.fatal({ err }, `uncaught exception: hookstream ${role} stops`);
    process.exit(1);
  });
  return runUntilSignal(logger, async (signal, started) => {
    // First in, last closed: it exports the spans of everything that stops before it.
    const tracing = await initTracing(process.env, { role, version: packageVersion() }, logger);
    if (tracing) started.push(tracing);
    const ops = new OpsServer(logger);
    started.push(ops);
    if (config.metricsPort > 0) await ops.listen(config.metricsPort);
    for (const start of starters) await start({ config, logger, signal, ops, started });
    logger.info({ role }, 'hookstream started');
  });
}

/** docker-compose's all-zero HOOKSTREAM_SECRET_KEY is for development only: say so at start-up. */
export function warnDevSecrets(config: Config, logger: Pick<Logger, 'warn'>): void {
  if (config.secretKey?.every((b) => b === 0))
    logger.warn(
      'HOOKSTREAM_SECRET_KEY is the all-zero development key: for development only (openssl rand -hex 32)',
    );
}

/**
 * Connects to MongoDB, retrying every 2 s (logging each failure) until it answers or `signal`
 * aborts. A failure that settings must fix (untrusted certificate, TLS handshake, rejected login)
 * ends the role at once with `MONGODB_SECURITY_FAILED` instead of retrying forever.
 */
export async function connectMongoWithRetry(
  config: Config,
  logger: Logger,
  signal: AbortSignal,
  opts: ConnectOptions = {},
): Promise<Mongo> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await connectMongo(config.mongodb.uri, opts);
    } catch (err) {
      if (signal.aborted) throw err;
      const fatal = mongoSecurityError(err, config.mongodb.uri);
      if (fatal) throw fatal;
      logger.warn({ err: (err as Error).message, attempt }, 'MongoDB not reachable yet; retrying in 2 s');
      await new Promise((r) => setTimeout(r, 2_000));
      if (signal.aborted)
        throw new HookstreamError('STORE_UNAVAILABLE', 'shutdown while waiting for MongoDB');
    }
  }
}

/** A readiness check that pings MongoDB at most every `everyMs` and remembers the answer. */
export function mongoPingCheck(mongo: Mongo, everyMs = 5_000): () => Promise<boolean> {
  let last = 0;
  let ok = false;
  return async () => {
    if (Date.now() - last < everyMs) return ok;
    last = Date.now();
    ok = await mongo.db
      .command({ ping: 1 }, { timeoutMS: 2_000 })
      .then(() => true)
      .catch(() => false);
    return ok;
  };
}

export function requireSecretKey(config: Config, role: string): Buffer {
  if (config.secretKey === null) {
    throw new HookstreamError(
      'INVALID_CONFIG',
      `HOOKSTREAM_SECRET_KEY: is required by the ${role} role (openssl rand -hex 32)`,
    );
  }
  return config.secretKey;
}

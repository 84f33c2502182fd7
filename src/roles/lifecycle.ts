/**
 * Process lifecycle for long-running roles: start components in order, and on SIGTERM/SIGINT close
 * them in reverse order — each finishing or handing back its in-flight work — then exit 0.
 */
import type { Logger } from '../observability/logger.js';

export interface Component {
  readonly name: string;
  /** Idempotent; resolves when in-flight work is finished or handed back. */
  close(): Promise<void>;
}

export interface RunOptions {
  /** Hard limit for the whole shutdown, milliseconds. @default 30_000 */
  shutdownTimeoutMs?: number;
  /** Used by tests and `hookstream all`; defaults to SIGTERM/SIGINT of this process. */
  signal?: AbortSignal;
}

export async function closeAll(components: readonly Component[], logger: Logger): Promise<void> {
  for (const c of [...components].reverse()) {
    const t0 = Date.now();
    try {
      await c.close();
      logger.info({ component: c.name, ms: Date.now() - t0 }, `closed ${c.name}`);
    } catch (err) {
      logger.error({ component: c.name, err }, `closing ${c.name} failed`);
    }
  }
}

/**
 * Runs `start` until a signal arrives. `start` pushes each component onto `started` as soon as it
 * runs, so that a failure half-way still closes what was started. Returns the process exit code.
 */
export async function runUntilSignal(
  logger: Logger,
  start: (signal: AbortSignal, started: Component[]) => Promise<void>,
  opts: RunOptions = {},
): Promise<number> {
  const controller = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      logger.warn({ signal: sig }, 'second signal during shutdown: exiting now');
      process.exit(1);
    }
    logger.info({ signal: sig }, 'shutdown requested: no new work is fetched; finishing in-flight work');
    controller.abort();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  opts.signal?.addEventListener('abort', () => controller.abort(), { once: true });

  const components: Component[] = [];
  let failed = false;
  try {
    await start(controller.signal, components);
  } catch (err) {
    failed = !controller.signal.aborted;
    if (failed) logger.fatal({ err }, 'start-up failed');
    controller.abort();
  }
  if (!controller.signal.aborted) {
    await new Promise<void>((resolve) =>
      controller.signal.addEventListener('abort', () => resolve(), { once: true }),
    );
  }
  const limit = opts.shutdownTimeoutMs ?? 30_000;
  const timer = setTimeout(() => {
    logger.error(
      { limitMs: limit },
      'shutdown did not finish in time: exiting with in-flight work handed back to Kafka',
    );
    process.exit(1);
  }, limit);
  timer.unref();
  const t0 = Date.now();
  await closeAll(components, logger);
  clearTimeout(timer);
  process.off('SIGTERM', onSignal);
  process.off('SIGINT', onSignal);
  logger.info({ ms: Date.now() - t0 }, 'shutdown complete');
  return failed ? 1 : 0;
}

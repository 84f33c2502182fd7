/**
 * Retrying a produce until Kafka acknowledges it: the sender's outcome produces and operational
 * events that must not be lost while the broker is briefly away. Backoff from `core/backoff.ts`
 * (PRODUCE_BACKOFF, 0.5 s doubling to 10 s); each failure is logged with `what` and the next wait.
 */
import { onAbort } from '../core/abort.js';
import { backoffMs, PRODUCE_BACKOFF } from '../core/backoff.js';
import type { Logger } from '../observability/logger.js';

/** Calls `send` until it resolves; rejects (with the last error) only once `signal` aborts. */
export async function untilAcked(
  what: string,
  send: () => Promise<void>,
  signal: AbortSignal,
  log: Logger,
): Promise<void> {
  for (let retry = 0; ; retry++) {
    try {
      await send();
      return;
    } catch (err) {
      if (signal.aborted) throw err;
      const waitMs = backoffMs(PRODUCE_BACKOFF, retry, Math.random);
      log.warn({ err, topic: what, retry_in_ms: waitMs }, 'producing to Kafka failed; retrying');
      await abortableSleep(waitMs, signal);
      if (signal.aborted) throw err;
    }
  }
}

/** Resolves after `ms`, or at once when `signal` aborts. */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    let forget = () => {};
    const done = () => {
      clearTimeout(timer);
      forget();
      resolve();
    };
    timer = setTimeout(done, ms);
    forget = onAbort(signal, done);
  });
}

/**
 * One delivery POST on the process's undici agent. The status line decides the outcome: a 2xx is
 * a success whatever its body does. At most `MAX_RESPONSE_BYTES` of the body are read (a receiver
 * has nothing more to tell us), then the rest is dropped. One deadline — an `AbortSignal` — covers
 * connect, headers and that capped body. No redirects are followed, nothing is retried here.
 */
import { isIP } from 'node:net';
import type { Readable } from 'node:stream';
import { onAbort } from '../core/abort.js';
import type { AttemptResult } from '../core/attempt.js';
import type { AttemptOutcome } from '../mongo/deliveries.js';
import { isForbiddenAddress } from '../security/address.js';
import { type DeliveryAgent, FORBIDDEN_TARGET } from './agent.js';

/** Bytes of response body read at most: 64 KiB. */
export const MAX_RESPONSE_BYTES = 64 * 1024;

export interface PostOptions {
  /** Connect + headers + capped body, milliseconds (`HOOKSTREAM_DELIVERY_TIMEOUT_MS`). */
  readonly timeoutMs: number;
  /** @default 'hookstream' */
  readonly userAgent?: string;
}

/** What `deliver` needs of the HTTP layer. */
export interface HttpPoster {
  post(
    url: string,
    headers: Record<string, string>,
    body: string,
    signal?: AbortSignal,
  ): Promise<AttemptResult>;
}

export class HttpClient implements HttpPoster {
  readonly #agent: DeliveryAgent;
  readonly #timeoutMs: number;
  readonly #userAgent: string;

  constructor(agent: DeliveryAgent, opts: PostOptions) {
    this.#agent = agent;
    this.#timeoutMs = opts.timeoutMs;
    this.#userAgent = opts.userAgent ?? 'hookstream';
  }

  /** Never throws: every failure is an outcome. `signal` aborts early (shutdown). */
  async post(
    url: string,
    headers: Record<string, string>,
    body: string,
    signal?: AbortSignal,
  ): Promise<AttemptResult> {
    const started = performance.now();
    const elapsed = () => Math.round((performance.now() - started) * 10) / 10;
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      return failure('network', 'invalid URL', 0);
    }
    const host = target.hostname.replace(/^\[|\]$/g, '');
    // Literal IPs never reach the agent's lookup: check them here.
    if (!this.#agent.allowPrivateTargets && isIP(host) !== 0 && isForbiddenAddress(host))
      return failure('forbidden_target', `${host} is a private or internal address`, 0);

    // One controller per attempt, tied to the long-lived stop signal through `onAbort` (O(1)), not
    // AbortSignal.any() or a listener per attempt, which grow and slow with every attempt in flight.
    const controller = new AbortController();
    let timedOut = false;
    const deadline = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.#timeoutMs);
    const forget = signal ? onAbort(signal, () => controller.abort()) : () => {};
    let statusCode: number;
    let retryAfter: string | null;
    try {
      const res = await this.#agent.dispatcher.request({
        origin: target.origin,
        path: `${target.pathname}${target.search}`,
        method: 'POST',
        headers: { 'user-agent': this.#userAgent, ...headers },
        body,
        signal: controller.signal,
      });
      statusCode = res.statusCode;
      const ra = res.headers['retry-after'];
      retryAfter = typeof ra === 'string' ? ra : null;
      await readCapped(res.body);
    } catch (err) {
      if (timedOut) return failure('timeout', `no answer within ${this.#timeoutMs} ms`, elapsed());
      if (signal?.aborted) return failure('network', 'attempt aborted: the sender is stopping', elapsed());
      return { ...classify(err), statusCode: null, latencyMs: elapsed(), retryAfter: null };
    } finally {
      clearTimeout(deadline);
      forget();
    }
    return {
      outcome: outcomeOf(statusCode),
      statusCode,
      latencyMs: elapsed(),
      retryAfter,
      error: statusCode >= 300 ? `HTTP ${statusCode}` : null,
    };
  }
}

/**
 * Reads up to `MAX_RESPONSE_BYTES`, then destroys the stream. A body cut off by the deadline (or
 * broken by the receiver) after the status arrived does not change the outcome.
 */
function readCapped(body: Readable): Promise<void> {
  return new Promise<void>((resolve) => {
    let read = 0;
    const finish = () => {
      body.off('data', onData);
      body.destroy();
      resolve();
    };
    const onData = (chunk: Buffer) => {
      read += chunk.length;
      if (read >= MAX_RESPONSE_BYTES) finish();
    };
    body.on('data', onData);
    body.once('end', finish);
    // the status line already decided: a body cut by the deadline or the receiver changes nothing
    body.once('error', finish);
    body.once('close', finish);
  });
}

function failure(outcome: AttemptOutcome, error: string, latencyMs: number): AttemptResult {
  return { outcome, statusCode: null, latencyMs, retryAfter: null, error };
}

export function outcomeOf(status: number): AttemptOutcome {
  if (status >= 200 && status < 300) return 'success';
  if (status === 410) return 'http_410';
  if (status === 429) return 'http_429';
  if (status >= 300 && status < 400) return 'http_3xx';
  if (status >= 400 && status < 500) return 'http_4xx';
  return 'http_5xx';
}

function classify(err: unknown): { outcome: AttemptOutcome; error: string } {
  const e = err as {
    code?: string;
    message?: string;
    errors?: { code?: string }[];
    cause?: { code?: string };
  };
  const code = e.code ?? e.cause?.code ?? e.errors?.find((x) => x?.code)?.code ?? '';
  const error = (e.message || code || String(err)).slice(0, 300);
  if (code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'ETIMEDOUT') return { outcome: 'timeout', error };
  if (code === FORBIDDEN_TARGET) return { outcome: 'forbidden_target', error };
  if (code === 'ECONNREFUSED') return { outcome: 'connection_refused', error };
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return { outcome: 'dns', error };
  if (/TLS|SSL|CERT/.test(code)) return { outcome: 'tls', error };
  return { outcome: 'network', error };
}

/**
 * One HTTP attempt with got: POST, no redirects followed, no retries inside got, a hard timeout,
 * keep-alive connections, and an SSRF guard on the address actually connected to (after DNS
 * resolution, so a name that re-resolves to an internal address is still refused).
 */
import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import got, { type Got, type RequestError } from 'got';
import type { AttemptOutcome } from '../mongo/deliveries.js';
import { isForbiddenAddress } from '../security/address.js';

/** Bytes of response body read at most; a receiver has nothing to tell us beyond its status. */
const MAX_RESPONSE_BYTES = 64 * 1024;

export interface AttemptResult {
  readonly outcome: AttemptOutcome;
  readonly statusCode: number | null;
  readonly latencyMs: number;
  /** Raw `Retry-After` header of a 429/503, if any. */
  readonly retryAfter: string | null;
  /** Short, log-safe description of what failed; null on success. */
  readonly error: string | null;
}

export interface HttpClientOptions {
  timeoutMs: number;
  allowPrivateTargets: boolean;
  /** Sockets per origin. @default 64 */
  maxSocketsPerHost?: number;
  userAgent?: string;
}

class ForbiddenTargetError extends Error {
  readonly code = 'EFORBIDDENTARGET';
}

/** dns.lookup that refuses forbidden addresses; used for every connection the sender opens. */
export function guardedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return (callback as (e: Error) => void)(err);
      const list = addresses as dns.LookupAddress[];
      if (!allowPrivate) {
        const bad = list.find((a) => isForbiddenAddress(a.address));
        if (bad) {
          return (callback as (e: Error) => void)(
            new ForbiddenTargetError(`${hostname} resolves to ${bad.address}, a private or internal address`),
          );
        }
      }
      if ((options as dns.LookupOptions).all)
        return (callback as (e: null, a: dns.LookupAddress[]) => void)(null, list);
      const first = list[0]!;
      (callback as (e: null, a: string, f: number) => void)(null, first.address, first.family);
    });
  };
}

export class HttpClient {
  readonly #got: Got;
  readonly #allowPrivate: boolean;
  readonly #agents: { http: http.Agent; https: https.Agent };

  constructor(opts: HttpClientOptions) {
    this.#allowPrivate = opts.allowPrivateTargets;
    const lookup = guardedLookup(opts.allowPrivateTargets);
    const agentOpts = {
      keepAlive: true,
      maxSockets: opts.maxSocketsPerHost ?? 64,
      lookup,
      scheduling: 'lifo' as const,
    };
    this.#agents = { http: new http.Agent(agentOpts), https: new https.Agent(agentOpts) };
    this.#got = got.extend({
      method: 'POST',
      followRedirect: false,
      retry: { limit: 0 },
      throwHttpErrors: false,
      decompress: false,
      timeout: { request: opts.timeoutMs },
      agent: this.#agents,
      dnsLookup: lookup as never,
      headers: { 'user-agent': opts.userAgent ?? 'hookstream' },
      responseType: 'buffer',
    });
  }

  async post(url: string, headers: Record<string, string>, body: string): Promise<AttemptResult> {
    const started = performance.now();
    const elapsed = () => Math.round((performance.now() - started) * 10) / 10;
    if (!this.#allowPrivate) {
      let host: string;
      try {
        host = new URL(url).hostname.replace(/^\[|\]$/g, '');
      } catch {
        return { outcome: 'network', statusCode: null, latencyMs: 0, retryAfter: null, error: 'invalid URL' };
      }
      // Literal IPs never reach the lookup function: check them here.
      if (isIP(host) !== 0 && isForbiddenAddress(host)) {
        return {
          outcome: 'forbidden_target',
          statusCode: null,
          latencyMs: 0,
          retryAfter: null,
          error: `${host} is a private or internal address`,
        };
      }
    }
    let statusCode: number | null = null;
    let retryAfter: string | null = null;
    const request = this.#got(url, { headers, body });
    request.on('response', (res: http.IncomingMessage) => {
      statusCode = res.statusCode ?? null;
      const ra = res.headers['retry-after'];
      retryAfter = typeof ra === 'string' ? ra : null;
    });
    request.on('downloadProgress', (p: { transferred: number }) => {
      if (p.transferred > MAX_RESPONSE_BYTES) request.cancel('response body too large');
    });
    try {
      await request;
    } catch (err) {
      if (statusCode === null)
        return { ...classifyError(err), latencyMs: elapsed(), statusCode: null, retryAfter: null };
      // The status arrived; only the (ignored) body was cut off.
    }
    return {
      outcome: outcomeOf(statusCode!),
      statusCode,
      latencyMs: elapsed(),
      retryAfter,
      error: statusCode! >= 300 ? `HTTP ${statusCode}` : null,
    };
  }

  close(): void {
    this.#agents.http.destroy();
    this.#agents.https.destroy();
  }
}

export function outcomeOf(status: number): AttemptOutcome {
  if (status >= 200 && status < 300) return 'success';
  if (status === 410) return 'http_410';
  if (status === 429) return 'http_429';
  if (status >= 300 && status < 400) return 'http_3xx';
  if (status >= 400 && status < 500) return 'http_4xx';
  return 'http_5xx';
}

function classifyError(err: unknown): { outcome: AttemptOutcome; error: string } {
  const code = (err as { code?: string }).code ?? '';
  const cause = (err as RequestError).cause as { code?: string } | undefined;
  const inner = cause?.code ?? code;
  const message = (err as Error).message ?? String(err);
  if (code === 'ETIMEDOUT' || (err as Error).name === 'TimeoutError')
    return { outcome: 'timeout', error: message };
  if (inner === 'EFORBIDDENTARGET') return { outcome: 'forbidden_target', error: message };
  if (inner === 'ECONNREFUSED') return { outcome: 'connection_refused', error: message };
  if (inner === 'ENOTFOUND' || inner === 'EAI_AGAIN') return { outcome: 'dns', error: message };
  if (/^ERR_TLS|CERT|SSL/.test(inner)) return { outcome: 'tls', error: message };
  return { outcome: 'network', error: message };
}

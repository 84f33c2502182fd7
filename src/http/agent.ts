/**
 * The one undici `Agent` of a sender process: keep-alive pools per origin, an idle timeout, a cap
 * on open sockets over all origins, and the SSRF guard inside the connector's `lookup`, so the
 * address checked is the address connected to (a name that re-resolves to an internal address is
 * still refused). Literal IP targets never reach `lookup`: `post.ts` checks them before a request.
 */
import dns from 'node:dns';
import type { LookupFunction, Socket } from 'node:net';
import { Agent, buildConnector } from 'undici';
import { isForbiddenAddress } from '../security/address.js';

export interface DeliveryAgentOptions {
  /** Allow loopback/private/link-local targets (`HOOKSTREAM_ALLOW_PRIVATE_TARGETS`). */
  readonly allowPrivateTargets: boolean;
  /** Sockets per origin. @default 64 */
  readonly connectionsPerOrigin?: number;
  /** Open sockets over all origins; a new connection waits for one to close. @default 4_096 */
  readonly maxSockets?: number;
  /** An idle keep-alive socket is closed after this long, milliseconds. @default 4_000 */
  readonly idleTimeoutMs?: number;
  /** TCP + TLS connect timeout, milliseconds (the request's overall deadline still applies). @default 10_000 */
  readonly connectTimeoutMs?: number;
}

/** The code of the error a refused target fails with (see `post.ts`). */
export const FORBIDDEN_TARGET = 'EFORBIDDENTARGET';

class ForbiddenTargetError extends Error {
  readonly code = FORBIDDEN_TARGET;
}

/** dns.lookup that refuses forbidden addresses (every one of them, when `all` is asked). */
export function guardedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      const fail = callback as (e: Error) => void;
      if (err) return fail(err);
      const list = addresses as dns.LookupAddress[];
      const bad = allowPrivate ? undefined : list.find((a) => isForbiddenAddress(a.address));
      if (bad) return fail(new ForbiddenTargetError(`${hostname} resolves to a private or internal address`));
      if ((options as dns.LookupOptions).all)
        return (callback as (e: null, a: dns.LookupAddress[]) => void)(null, list);
      const first = list[0]!;
      (callback as (e: null, a: string, f: number) => void)(null, first.address, first.family);
    });
  };
}

/** Counts open sockets; a connection beyond `max` waits until one closes. */
class SocketCap {
  #open = 0;
  readonly #waiting: (() => void)[] = [];
  constructor(readonly max: number) {}

  get open(): number {
    return this.#open;
  }

  take(then: () => void): void {
    if (this.#open < this.max) {
      this.#open++;
      then();
    } else this.#waiting.push(then);
  }

  give(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#open--;
  }
}

export interface DeliveryAgent {
  readonly dispatcher: Agent;
  /** Sockets open now (for tests and metrics). */
  readonly openSockets: () => number;
  readonly allowPrivateTargets: boolean;
  close(): Promise<void>;
}

export function createDeliveryAgent(opts: DeliveryAgentOptions): DeliveryAgent {
  const cap = new SocketCap(opts.maxSockets ?? 4_096);
  const connector = buildConnector({
    lookup: guardedLookup(opts.allowPrivateTargets),
    timeout: opts.connectTimeoutMs ?? 10_000,
    allowH2: false,
  } as buildConnector.BuildOptions);
  const connect: buildConnector.connector = (options, callback) => {
    cap.take(() => {
      let given = false;
      const giveBack = () => {
        if (given) return;
        given = true;
        cap.give();
      };
      // undici's connector returns the socket although its type says void.
      const socket = (connector as unknown as (o: unknown, cb: buildConnector.Callback) => Socket)(
        options,
        (...args) => {
          if (args[0]) giveBack();
          (callback as (...a: unknown[]) => void)(...args);
        },
      );
      socket?.once('close', giveBack);
    });
  };
  const dispatcher = new Agent({
    connections: opts.connectionsPerOrigin ?? 64,
    keepAliveTimeout: opts.idleTimeoutMs ?? 4_000,
    keepAliveMaxTimeout: opts.idleTimeoutMs ?? 4_000,
    // Body and headers timeouts are per phase; the one overall deadline is the request's signal.
    headersTimeout: 0,
    bodyTimeout: 0,
    allowH2: false,
    connect,
  });
  let closed: Promise<void> | null = null;
  return {
    dispatcher,
    openSockets: () => cap.open,
    allowPrivateTargets: opts.allowPrivateTargets,
    close: () => {
      closed ??= dispatcher.destroy().catch(() => {});
      return closed;
    },
  };
}

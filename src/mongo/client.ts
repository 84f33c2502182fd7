/** MongoDB wiring: one MongoClient per process; the database is the one named in the URI. */
import { type Db, MongoClient } from 'mongodb';
import { HookstreamError } from '../core/errors.js';
import { errorChain, tlsFailure } from '../core/tls-failure.js';

export interface Mongo {
  readonly client: MongoClient;
  readonly db: Db;
  close(): Promise<void>;
}

export interface ConnectOptions {
  readonly appName?: string;
  /** Server selection and connect timeout, milliseconds: a stopped server surfaces as an error this soon. */
  readonly timeoutMs?: number;
}

export async function connectMongo(uri: string, opts: ConnectOptions = {}): Promise<Mongo> {
  const timeoutMs = opts.timeoutMs ?? 5_000;
  const client = new MongoClient(uri, {
    appName: opts.appName ?? 'hookstream',
    serverSelectionTimeoutMS: timeoutMs,
    // A stopped server must surface as an error within seconds, not hang a request.
    connectTimeoutMS: timeoutMs,
    socketTimeoutMS: 30_000,
    maxPoolSize: 20,
  });
  try {
    await client.connect();
  } catch (err) {
    await client.close().catch(() => {});
    throw err;
  }
  const db = client.db(databaseName(uri));
  let closed = false;
  return {
    client,
    db,
    async close() {
      if (closed) return;
      closed = true;
      await client.close();
    },
  };
}

/** The error classes that mean "the database is not reachable right now" (answer 503, retry later). */
export function isMongoUnavailable(err: unknown): boolean {
  const name = (err as { name?: string })?.name ?? '';
  return /MongoServerSelectionError|MongoNetworkError|MongoNetworkTimeoutError|MongoTopologyClosedError|MongoNotConnectedError|PoolClearedError/.test(
    name,
  );
}

/** The database named in the URI's path, else `hookstream`. */
export function databaseName(uri: string): string {
  const match = /^mongodb(?:\+srv)?:\/\/[^/]+\/([^?]+)/.exec(uri);
  return match?.[1] ? decodeURIComponent(match[1]) : 'hookstream';
}

/** MongoDB's error code for a rejected login (user, password, mechanism or authSource). */
const AUTHENTICATION_FAILED = 18;

/** `host:port[,host:port]` and the user name of a MongoDB URI; never its password. */
function uriParts(uri: string): { hosts: string; user: string } {
  const m = /^mongodb(?:\+srv)?:\/\/(?:([^:@/]*)(?::[^@/]*)?@)?([^/?]+)/.exec(uri);
  return { hosts: m?.[2] ?? '(unparsed URI)', user: m?.[1] ? decodeURIComponent(m[1]) : '' };
}

/**
 * A failed connect that settings must fix — the server's certificate is not trusted, the TLS
 * handshake failed, the login was rejected — as one fatal `MONGODB_SECURITY_FAILED` naming the
 * server and what in `MONGODB_URI` to check; null for anything worth retrying (refused, timed out,
 * closed: a restarting server looks the same). Never carries the password.
 */
export function mongoSecurityError(err: unknown, uri: string): HookstreamError | null {
  const { hosts, user } = uriParts(uri);
  const tls = tlsFailure(err);
  if (tls?.kind === 'untrusted') {
    return new HookstreamError(
      'MONGODB_SECURITY_FAILED',
      `MongoDB ${hosts}: the server's TLS certificate is not trusted (${tls.code}): check tlsCAFile in MONGODB_URI`,
      { cause: err, details: { server: hosts, reason: tls.kind, tlsCode: tls.code } },
    );
  }
  if (tls?.kind === 'handshake') {
    return new HookstreamError(
      'MONGODB_SECURITY_FAILED',
      `MongoDB ${hosts}: the TLS handshake failed (${tls.code}): check tlsCertificateKeyFile in MONGODB_URI and that the server speaks TLS`,
      { cause: err, details: { server: hosts, reason: tls.kind, tlsCode: tls.code } },
    );
  }
  if (errorChain(err).some((e) => e.code === AUTHENTICATION_FAILED)) {
    return new HookstreamError(
      'MONGODB_SECURITY_FAILED',
      `MongoDB ${hosts} rejected the login of user "${user}": check the user, password, authSource and authMechanism in MONGODB_URI`,
      { cause: err, details: { server: hosts, reason: 'auth' } },
    );
  }
  return null;
}

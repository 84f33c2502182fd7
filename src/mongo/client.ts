/** MongoDB wiring: one MongoClient per process; the database is the one named in the URI. */
import { type Db, MongoClient } from 'mongodb';

export interface Mongo {
  readonly client: MongoClient;
  readonly db: Db;
  close(): Promise<void>;
}

export async function connectMongo(uri: string, opts: { appName?: string } = {}): Promise<Mongo> {
  const client = new MongoClient(uri, {
    appName: opts.appName ?? 'hookstream',
    serverSelectionTimeoutMS: 5_000,
    // A stopped server must surface as an error within seconds, not hang a request.
    connectTimeoutMS: 5_000,
    socketTimeoutMS: 30_000,
    maxPoolSize: 20,
  });
  await client.connect();
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

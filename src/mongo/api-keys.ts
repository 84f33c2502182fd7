/**
 * The `api_keys` collection: environment-scoped admin API keys. Only the SHA-256 of a key is stored
 * (keys are 256 random bits, so a fast hash is enough); the key itself is shown once, at creation.
 */
import type { Collection, Db, Filter } from 'mongodb';
import { mapMongoError } from './errors.js';

export interface ApiKeyDoc {
  /** `key_…` — the public identifier, safe to log. */
  _id: string;
  environment: string;
  /** Hex SHA-256 of the whole key string. */
  key_hash: string;
  /** The first characters of the key (`hsk_abcd`), so people can tell keys apart. */
  key_prefix: string;
  description: string | null;
  created_at: Date;
  /** null while the key works. */
  revoked_at: Date | null;
}

export interface ApiKeyPosition {
  readonly created_at: Date;
  readonly id: string;
}

export function apiKeysCollection(db: Db): Collection<ApiKeyDoc> {
  return db.collection<ApiKeyDoc>('api_keys');
}

export async function ensureApiKeyIndexes(db: Db): Promise<void> {
  const col = apiKeysCollection(db);
  try {
    await col.createIndex({ key_hash: 1 }, { name: 'key_hash_unique', unique: true });
    await col.createIndex({ environment: 1, created_at: 1, _id: 1 }, { name: 'environment_created' });
  } catch (err) {
    throw mapMongoError(err, 'api key indexes');
  }
}

export async function insertApiKey(db: Db, doc: ApiKeyDoc): Promise<void> {
  try {
    await apiKeysCollection(db).insertOne(doc);
  } catch (err) {
    throw mapMongoError(err, `api key ${doc._id}`);
  }
}

/** The unrevoked key with this hash, or null. */
export async function findActiveApiKey(db: Db, keyHash: string): Promise<ApiKeyDoc | null> {
  try {
    return await apiKeysCollection(db).findOne({ key_hash: keyHash, revoked_at: null });
  } catch (err) {
    throw mapMongoError(err, 'api key');
  }
}

/** Up to `limit` keys (of one environment, or all), oldest first, after `after`. */
export async function listApiKeys(
  db: Db,
  environment: string | null,
  after: ApiKeyPosition | null,
  limit: number,
): Promise<ApiKeyDoc[]> {
  const filter: Filter<ApiKeyDoc> = environment === null ? {} : { environment };
  if (after) {
    filter.$or = [
      { created_at: { $gt: after.created_at } },
      { created_at: after.created_at, _id: { $gt: after.id } },
    ];
  }
  try {
    return await apiKeysCollection(db).find(filter).sort({ created_at: 1, _id: 1 }).limit(limit).toArray();
  } catch (err) {
    throw mapMongoError(err, 'api keys');
  }
}

/** Revokes a key. Returns false when there is no such unrevoked key. */
export async function revokeApiKey(db: Db, id: string, now: Date): Promise<boolean> {
  try {
    const res = await apiKeysCollection(db).updateOne(
      { _id: id, revoked_at: null },
      { $set: { revoked_at: now } },
    );
    return res.matchedCount === 1;
  } catch (err) {
    throw mapMongoError(err, `api key ${id}`);
  }
}

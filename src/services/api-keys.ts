/**
 * Who is calling: the bootstrap admin key (HOOKSTREAM_ADMIN_API_KEY, sees every environment and may
 * mint keys) or a minted key scoped to one environment. Minted keys are `hsk_` + 32 CSPRNG bytes,
 * stored as SHA-256 and shown once. Comparisons are constant-time.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { HookstreamError } from '../core/errors.js';
import { newId } from '../core/ids.js';
import {
  type ApiKeyDoc,
  findActiveApiKey,
  insertApiKey,
  listApiKeys as listApiKeyDocs,
  revokeApiKey as revokeApiKeyDoc,
} from '../mongo/api-keys.js';
import { checkText } from '../security/text.js';
import type { ServiceContext } from './context.js';
import { decodeCursor, type Page, type PageRequest, pageLimit, toPage } from './pagination.js';
import { checkEnvironment } from './webhooks.js';

export const API_KEY_PREFIX = 'hsk_';
const API_KEY_BYTES = 32;
const MAX_DESCRIPTION_LENGTH = 500;

export type Principal =
  | { readonly kind: 'admin' }
  | { readonly kind: 'environment'; readonly environment: string; readonly keyId: string };

export interface ApiKeyView {
  readonly id: string;
  readonly environment: string;
  readonly description: string | null;
  /** The first characters of the key, to tell keys apart. */
  readonly key_prefix: string;
  readonly created_at: string;
  readonly revoked_at: string | null;
}

export interface ApiKeyWithSecret extends ApiKeyView {
  /** The key itself, shown only once. */
  readonly key: string;
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** Equal-length digests compared in constant time, so neither length nor content leaks through timing. */
function sameDigest(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

export function toApiKeyView(doc: ApiKeyDoc): ApiKeyView {
  return {
    id: doc._id,
    environment: doc.environment,
    description: doc.description,
    key_prefix: doc.key_prefix,
    created_at: doc.created_at.toISOString(),
    revoked_at: doc.revoked_at?.toISOString() ?? null,
  };
}

/** The principal for a bearer token, or null when the token is no valid key. */
export async function authenticate(
  ctx: ServiceContext,
  adminApiKey: string | null,
  token: string,
): Promise<Principal | null> {
  const presented = sha256(token);
  if (adminApiKey !== null && sameDigest(presented, sha256(adminApiKey))) return { kind: 'admin' };
  if (!token.startsWith(API_KEY_PREFIX)) return null;
  const doc = await findActiveApiKey(ctx.db, presented.toString('hex'));
  if (doc === null || !sameDigest(presented, Buffer.from(doc.key_hash, 'hex'))) return null;
  return { kind: 'environment', environment: doc.environment, keyId: doc._id };
}

export async function createApiKey(
  ctx: ServiceContext,
  input: { environment: string; description?: string | null | undefined },
): Promise<ApiKeyWithSecret> {
  const environment = checkEnvironment(input.environment);
  const description = input.description ?? null;
  if (description !== null && description.length > MAX_DESCRIPTION_LENGTH) {
    throw new HookstreamError(
      'VALIDATION_FAILED',
      `description: must be at most ${MAX_DESCRIPTION_LENGTH} characters`,
      {
        details: { field: 'description' },
      },
    );
  }
  if (description !== null) checkText('description', description);
  const key = API_KEY_PREFIX + ctx.randomBytes(API_KEY_BYTES).toString('base64url');
  const doc: ApiKeyDoc = {
    _id: newId('key', ctx.randomBytes(16)),
    environment,
    key_hash: sha256(key).toString('hex'),
    key_prefix: key.slice(0, API_KEY_PREFIX.length + 6),
    description,
    created_at: ctx.now(),
    revoked_at: null,
  };
  await insertApiKey(ctx.db, doc);
  ctx.logger.info({ api_key_id: doc._id, environment }, 'api key created');
  return { ...toApiKeyView(doc), key };
}

export async function listApiKeys(
  ctx: ServiceContext,
  environment: string | null,
  page: PageRequest = {},
): Promise<Page<ApiKeyView>> {
  const limit = pageLimit(page.limit);
  const after = decodeCursor(page.cursor);
  const rows = await listApiKeyDocs(
    ctx.db,
    environment,
    after && { created_at: after.at, id: after.id },
    limit + 1,
  );
  return toPage(rows, limit, (d) => ({ at: d.created_at, id: d._id }), toApiKeyView);
}

export async function revokeApiKey(ctx: ServiceContext, id: string): Promise<void> {
  if (!(await revokeApiKeyDoc(ctx.db, id, ctx.now()))) {
    throw new HookstreamError('NOT_FOUND', `api key ${id} not found`, { details: { field: 'id' } });
  }
  ctx.logger.info({ api_key_id: id }, 'api key revoked');
}

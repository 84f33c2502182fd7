/**
 * `hookstream api-keys create|list|revoke|generate-admin`: environment-scoped keys over the same
 * service code as the admin API, and a generator for the bootstrap admin key.
 */
import { randomBytes } from 'node:crypto';
import { type ApiKeyView, createApiKey, listApiKeys, revokeApiKey } from '../services/api-keys.js';
import { type Cli, json, table, withServices } from './io.js';

export async function apiKeyCreateCommand(
  cli: Cli,
  opts: { env: string; description?: string },
): Promise<number> {
  const key = await withServices(cli, (ctx) =>
    createApiKey(ctx, { environment: opts.env, description: opts.description }),
  );
  cli.out(json(key));
  cli.err('The key is shown only now; it is stored hashed.\n');
  return 0;
}

export async function apiKeyListCommand(cli: Cli, opts: { env?: string; json?: boolean }): Promise<number> {
  const rows = await withServices(cli, async (ctx) => {
    const found: ApiKeyView[] = [];
    let cursor: string | undefined;
    do {
      const page = await listApiKeys(ctx, opts.env ?? null, { cursor, limit: 200 });
      found.push(...page.data);
      cursor = page.next_cursor ?? undefined;
    } while (cursor !== undefined);
    return found;
  });
  cli.out(
    opts.json
      ? json(rows)
      : table([
          ['ID', 'ENVIRONMENT', 'PREFIX', 'CREATED', 'REVOKED', 'DESCRIPTION'],
          ...rows.map((k) => [
            k.id,
            k.environment,
            k.key_prefix,
            k.created_at,
            k.revoked_at ?? '-',
            k.description ?? '',
          ]),
        ]),
  );
  return 0;
}

export async function apiKeyRevokeCommand(cli: Cli, opts: { id: string }): Promise<number> {
  await withServices(cli, (ctx) => revokeApiKey(ctx, opts.id));
  cli.out(`revoked ${opts.id}\n`);
  return 0;
}

/** Random bytes in a generated admin key (256 bits; 43 base64url characters). */
const ADMIN_KEY_BYTES = 32;

/** Prints a fresh value for HOOKSTREAM_ADMIN_API_KEY; touches no service. */
export async function generateAdminKeyCommand(cli: Cli): Promise<number> {
  cli.out(`${randomBytes(ADMIN_KEY_BYTES).toString('base64url')}\n`);
  return 0;
}

/**
 * `hookstream webhooks …`: the same service code as the admin API, run directly against MongoDB
 * (no HTTP, no API key). Delivery verbs (test, deliveries, retry, replay) are in deliveries.ts.
 */
import { rotateSecret } from '../services/rotate-secret.js';
import {
  createWebhook,
  deleteWebhook,
  getWebhook,
  listWebhooks,
  updateWebhook,
  type WebhookView,
} from '../services/webhooks.js';
import { type Cli, json, table, withServices } from './io.js';
import { type OptionFlags, optionsInput } from './webhook-options.js';

export interface TargetOptions {
  readonly env: string;
  readonly id: string;
}

export interface CreateOptions extends OptionFlags {
  readonly env: string;
  readonly url: string;
  readonly types: readonly string[];
  readonly description?: string;
  readonly standardWebhooks?: boolean;
  readonly disabled?: boolean;
}

export async function createCommand(cli: Cli, opts: CreateOptions): Promise<number> {
  const options = optionsInput(opts);
  const webhook = await withServices(cli, (ctx) =>
    createWebhook(ctx, opts.env, {
      ...options,
      url: opts.url,
      event_types: opts.types,
      description: opts.description,
      standard_webhooks: opts.standardWebhooks === true,
      enabled: opts.disabled !== true,
    }),
  );
  cli.out(json(webhook));
  cli.err('The secret is shown only now; store it with the receiver.\n');
  return 0;
}

function webhookTable(rows: readonly WebhookView[]): string {
  return table([
    ['ID', 'ENABLED', 'EVENT TYPES', 'LIMIT/S', 'FILTER', 'URL', 'DESCRIPTION'],
    ...rows.map((w) => [
      w.id,
      w.enabled ? 'yes' : `no (${w.disabled_reason ?? 'manual'})`,
      w.event_types.join(','),
      w.rate_limit_per_s === null ? '-' : String(w.rate_limit_per_s),
      w.filter === null ? 'no' : 'yes',
      w.url,
      w.description ?? '',
    ]),
  ]);
}

export async function listCommand(cli: Cli, opts: { env: string; json?: boolean }): Promise<number> {
  const all = await withServices(cli, async (ctx) => {
    const rows: WebhookView[] = [];
    let cursor: string | undefined;
    do {
      const page = await listWebhooks(ctx, opts.env, { cursor, limit: 200 });
      rows.push(...page.data);
      cursor = page.next_cursor ?? undefined;
    } while (cursor !== undefined);
    return rows;
  });
  cli.out(opts.json ? json(all) : webhookTable(all));
  return 0;
}

export async function getCommand(cli: Cli, opts: TargetOptions): Promise<number> {
  cli.out(json(await withServices(cli, (ctx) => getWebhook(ctx, opts.env, opts.id))));
  return 0;
}

export function enableCommand(enabled: boolean) {
  return async (cli: Cli, opts: TargetOptions): Promise<number> => {
    // Kafka too: the change is announced on <prefix>.operational (webhook.enabled / webhook.disabled).
    const webhook = await withServices(cli, (ctx) => updateWebhook(ctx, opts.env, opts.id, { enabled }), {
      kafka: true,
    });
    cli.out(`${enabled ? 'enabled' : 'disabled'} ${webhook.id} (${webhook.url})\n`);
    return 0;
  };
}

export interface UpdateOptions extends TargetOptions, OptionFlags {
  readonly url?: string;
  readonly types?: readonly string[];
  readonly description?: string;
}

/** `webhooks update`: changes only what is given (PATCH semantics). */
export async function updateCommand(cli: Cli, opts: UpdateOptions): Promise<number> {
  const input = {
    ...optionsInput(opts),
    ...(opts.url === undefined ? {} : { url: opts.url }),
    ...(opts.types === undefined ? {} : { event_types: opts.types }),
    ...(opts.description === undefined ? {} : { description: opts.description }),
  };
  if (Object.keys(input).length === 0) {
    cli.err(
      'nothing to change: give --url, --types, --description, --rate-limit, --filter, --header or --no-headers\n',
    );
    return 2;
  }
  cli.out(json(await withServices(cli, (ctx) => updateWebhook(ctx, opts.env, opts.id, input))));
  return 0;
}

export async function deleteCommand(cli: Cli, opts: TargetOptions): Promise<number> {
  await withServices(cli, (ctx) => deleteWebhook(ctx, opts.env, opts.id));
  cli.out(`deleted ${opts.id}\n`);
  return 0;
}

export async function rotateCommand(cli: Cli, opts: TargetOptions & { overlap?: number }): Promise<number> {
  const webhook = await withServices(cli, (ctx) =>
    rotateSecret(ctx, opts.env, opts.id, { overlapMs: opts.overlap }),
  );
  cli.out(json(webhook));
  cli.err(
    `The new secret is shown only now. The previous one keeps signing until ${webhook.secret_rotated_until ?? 'now'}.\n`,
  );
  return 0;
}

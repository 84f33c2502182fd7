/**
 * `hookstream webhooks create|list|disable|enable`: the same service code as the admin API, run
 * directly against MongoDB (no HTTP, no API key).
 */
import { type Config, loadConfig } from '../config/config.js';
import { connectMongo, type Mongo } from '../mongo/client.js';
import { mapMongoError } from '../mongo/errors.js';
import { createLogger } from '../observability/logger.js';
import { createServiceContext, type ServiceContext } from '../services/context.js';
import { createWebhook, listWebhooks, updateWebhook, type WebhookView } from '../services/webhooks.js';
import { parse, required } from './args.js';

const USAGE = `hookstream webhooks create --env E --url URL --types a,b [--description D] [--standard-webhooks] [--disabled]
       hookstream webhooks list --env E [--json]
       hookstream webhooks disable --env E --id ID
       hookstream webhooks enable --env E --id ID`;

/** Where a command reads its configuration and writes its output (tests pass their own). */
export interface CliIo {
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly stdout?: { write(text: string): unknown };
  readonly stderr?: { write(text: string): unknown };
}

/** Connects to MongoDB, runs `fn` with a service context, and always disconnects. */
export async function withServices<T>(
  io: CliIo,
  fn: (ctx: ServiceContext, config: Config) => Promise<T>,
): Promise<T> {
  const config = loadConfig(io.env ?? process.env);
  // Log lines go to stderr, so stdout stays parseable.
  const logger = createLogger({ level: 'warn', name: 'cli' }, process.stderr);
  let mongo: Mongo;
  try {
    mongo = await connectMongo(config.mongodb.uri, { appName: 'hookstream-cli' });
  } catch (err) {
    throw mapMongoError(err, 'the command');
  }
  try {
    return await fn(createServiceContext({ db: mongo.db, config, logger }), config);
  } finally {
    await mongo.close();
  }
}

function table(rows: readonly WebhookView[]): string {
  const lines = [['ID', 'ENABLED', 'EVENT TYPES', 'URL', 'DESCRIPTION']];
  for (const w of rows) {
    lines.push([
      w.id,
      w.enabled ? 'yes' : `no (${w.disabled_reason ?? 'manual'})`,
      w.event_types.join(','),
      w.url,
      w.description ?? '',
    ]);
  }
  const widths = lines[0]!.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)));
  const row = (cells: string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return `${lines.map(row).join('\n')}\n`;
}

export async function webhooksCommand(args: string[], io: CliIo = {}): Promise<number> {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  const { values, positionals } = parse(
    args,
    {
      env: { type: 'string' },
      url: { type: 'string' },
      types: { type: 'string' },
      description: { type: 'string' },
      id: { type: 'string' },
      json: { type: 'boolean' },
      'standard-webhooks': { type: 'boolean' },
      disabled: { type: 'boolean' },
    },
    USAGE,
  );
  const verb = positionals[0];
  if (positionals.length !== 1 || !['create', 'list', 'disable', 'enable'].includes(verb ?? '')) {
    stderr.write(`usage: ${USAGE}\n`);
    return 2;
  }
  const env = required(values, 'env', USAGE);

  switch (verb) {
    case 'create': {
      const url = required(values, 'url', USAGE);
      const types = required(values, 'types', USAGE)
        .split(',')
        .map((t) => t.trim())
        .filter((t) => t !== '');
      const webhook = await withServices(io, (ctx) =>
        createWebhook(ctx, env, {
          url,
          event_types: types,
          description: values.description,
          standard_webhooks: values['standard-webhooks'] === true,
          enabled: values.disabled !== true,
        }),
      );
      stdout.write(`${JSON.stringify(webhook, null, 2)}\n`);
      stderr.write('The secret is shown only now; store it with the receiver.\n');
      return 0;
    }
    case 'list': {
      const all = await withServices(io, async (ctx) => {
        const rows: WebhookView[] = [];
        let cursor: string | undefined;
        do {
          const page = await listWebhooks(ctx, env, { cursor, limit: 200 });
          rows.push(...page.data);
          cursor = page.next_cursor ?? undefined;
        } while (cursor !== undefined);
        return rows;
      });
      stdout.write(values.json ? `${JSON.stringify(all, null, 2)}\n` : table(all));
      return 0;
    }
    default: {
      const id = required(values, 'id', USAGE);
      const enabled = verb === 'enable';
      const webhook = await withServices(io, (ctx) => updateWebhook(ctx, env, id, { enabled }));
      stdout.write(`${enabled ? 'enabled' : 'disabled'} ${webhook.id} (${webhook.url})\n`);
      return 0;
    }
  }
}

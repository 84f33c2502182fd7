/** `hookstream api-keys create --env E`: mints an environment-scoped API key (shown once). */
import { createApiKey } from '../services/api-keys.js';
import { parse, required } from './args.js';
import { type CliIo, withServices } from './webhooks.js';

const USAGE = 'hookstream api-keys create --env E [--description D]';

export async function apiKeysCommand(args: string[], io: CliIo = {}): Promise<number> {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  const { values, positionals } = parse(
    args,
    { env: { type: 'string' }, description: { type: 'string' } },
    USAGE,
  );
  if (positionals.length !== 1 || positionals[0] !== 'create') {
    stderr.write(`usage: ${USAGE}\n`);
    return 2;
  }
  const environment = required(values, 'env', USAGE);
  const key = await withServices(io, (ctx) =>
    createApiKey(ctx, { environment, description: values.description }),
  );
  stdout.write(`${JSON.stringify(key, null, 2)}\n`);
  stderr.write('The key is shown only now; it is stored hashed.\n');
  return 0;
}

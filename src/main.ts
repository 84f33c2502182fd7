/** argv → command. Every command loads its own module, so `--help` needs no services. */
import { isHookstreamError } from './core/errors.js';

export const USAGE = `hookstream — Kafka-based webhook dispatcher

Usage: hookstream <command> [options]

Roles (long-running; stop with SIGTERM/SIGINT):
  all                          api + router + every sender in one process
  api                          admin HTTP API (HOOKSTREAM_API_PORT)
  router                       domain events → delivery jobs
  sender [--tier T]            deliver jobs; T = deliveries (first attempts), a tier name (e.g. 1m), or all

Operations:
  topics create [--partitions N] [--replication N]
                               create every topic hookstream needs (idempotent)
  lag [--json]                 consumer lag and overdue seconds per group/topic/partition
  events publish --env E --type T --data JSON [--id ID] [--workflow-run-id W] [--topic TOPIC]
                               publish one domain event (for testing and demos)
  webhooks create --env E --url URL --types a,b [--description D]
  webhooks list --env E
  webhooks disable --env E --id ID
  api-keys create --env E      mint an API key scoped to one environment (shown once)
  receiver --port P --secret S [--fail-first N]
                               a small receiver that verifies signatures and prints deliveries

Configuration comes from environment variables (KAFKA_BROKERS, MONGODB_URI, HOOKSTREAM_*);
see README.md for the full table.
`;

type Command = (args: string[]) => Promise<number>;

const COMMANDS: Record<string, () => Promise<Command>> = {
  all: async () => (await import('./roles/all.js')).runAll,
  api: async () => (await import('./roles/api.js')).runApi,
  router: async () => (await import('./roles/router.js')).runRouter,
  sender: async () => (await import('./roles/sender.js')).runSender,
  topics: async () => (await import('./cli/topics.js')).topicsCommand,
  lag: async () => (await import('./cli/lag.js')).lagCommand,
  events: async () => (await import('./cli/events.js')).eventsCommand,
  webhooks: async () => (await import('./cli/webhooks.js')).webhooksCommand,
  'api-keys': async () => (await import('./cli/api-keys.js')).apiKeysCommand,
  receiver: async () => (await import('./cli/receiver.js')).receiverCommand,
};

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(USAGE);
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-v') {
    const { readFile } = await import('node:fs/promises');
    const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    process.stdout.write(`${pkg.version}\n`);
    return 0;
  }
  const load = COMMANDS[name];
  if (!load) {
    process.stderr.write(`hookstream: unknown command "${name}"\n\n${USAGE}`);
    return 2;
  }
  try {
    return await (await load())(rest);
  } catch (err) {
    if (isHookstreamError(err)) {
      process.stderr.write(`hookstream ${name}: ${err.message}\n`);
      return err.code === 'INVALID_CONFIG' || err.code === 'VALIDATION_FAILED' ? 2 : 1;
    }
    throw err;
  }
}

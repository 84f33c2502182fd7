/**
 * The one definition of hookstream's command line (commander): every command, option, default
 * and help text. Each action loads its own module, so `--help` needs no services.
 */
import { Command, Option } from 'commander';
import { loadConfig } from '../config/config.js';
import { DELIVERY_STATUSES } from '../services/deliveries.js';
import {
  collect,
  dateTime,
  duration,
  integer,
  list,
  nonNegativeInt,
  port,
  positiveInt,
  seconds,
} from './args.js';
import { type Cli, type CliIo, cliOf, DEFAULT_TIMEOUT_SEC } from './io.js';
import { addOptionFlags } from './webhook-options.js';

/** Exit code of a usage error (unknown command or option, bad or missing value). */
export const USAGE_EXIT = 2;

type Action = (cli: Cli, opts: never) => Promise<number>;

const ENV_HELP = `
Configuration comes from environment variables (KAFKA_BROKERS, MONGODB_URI, HOOKSTREAM_*); see
README.md. Output goes to stdout; notes, errors and (with --verbose) log lines go to stderr.
Exit codes: 0 done, 1 failed (a service did not answer within --timeout, not found, conflict),
2 usage or configuration error.`;

export function buildProgram(io: CliIo, version: string, done: (code: number) => void): Command {
  const program = new Command('hookstream')
    .description('Kafka-based webhook dispatcher: roles, operations and admin commands.')
    .version(version, '-v, --version', 'print the version')
    .option(
      '--timeout <seconds>',
      'give up on Kafka and MongoDB after this long',
      seconds,
      DEFAULT_TIMEOUT_SEC,
    )
    .option('--verbose', 'log (JSON lines, stderr) at LOG_LEVEL')
    .addHelpText('after', ENV_HELP)
    .exitOverride()
    .showHelpAfterError('(add --help for usage)')
    .configureOutput({
      writeOut: (s) => void (io.stdout ?? process.stdout).write(s),
      writeErr: (s) => void (io.stderr ?? process.stderr).write(s),
    });

  /** Runs a command module's function with the run-time and this command's options. */
  const run =
    <A extends Action>(load: () => Promise<A>) =>
    async (...args: unknown[]) => {
      const cmd = args.at(-1) as Command;
      const opts = cmd.optsWithGlobals() as { timeout: number; verbose?: boolean };
      done(await (await load())(cliOf(io, opts), opts as never));
    };
  const role =
    (load: () => Promise<(args: string[]) => Promise<number>>, args: (opts: never) => string[] = () => []) =>
    async (...a: unknown[]) => {
      done(await (await load())(args((a.at(-1) as Command).opts() as never)));
    };

  // ─── roles ──────────────────────────────────────────────────────────────────────────────────
  program
    .command('all')
    .description('api + router + every sender in one process (stop with SIGTERM/SIGINT)')
    .action(role(async () => (await import('../roles/all.js')).runAll));
  program
    .command('api')
    .description('the admin HTTP API on HOOKSTREAM_API_PORT')
    .action(role(async () => (await import('../roles/api.js')).runApi));
  program
    .command('router')
    .description('domain events → delivery jobs')
    .action(role(async () => (await import('../roles/router.js')).runRouter));
  program
    .command('sender')
    .description('deliver jobs of one tier, or of all')
    .option(
      '--tier <tier>',
      'deliveries (first attempts), a tier of HOOKSTREAM_RETRY_TIERS (e.g. 1m), or all',
      'all',
    )
    .hook('preAction', (cmd) => {
      const tier = cmd.opts().tier as string;
      const tiers = loadConfig(io.env ?? process.env).tiers.map((t) => t.name);
      if (tier !== 'all' && tier !== 'deliveries' && !tiers.includes(tier)) {
        cmd.error(
          `error: option '--tier <tier>' must be deliveries, all, or one of ${tiers.join(', ')}; got "${tier}"`,
          {
            exitCode: USAGE_EXIT,
            code: 'hookstream.usage',
          },
        );
      }
    })
    .action(
      role(
        async () => (await import('../roles/sender.js')).runSender,
        (o: { tier: string }) => ['--tier', o.tier],
      ),
    );

  // ─── operations ─────────────────────────────────────────────────────────────────────────────
  const topics = program.command('topics').description('Kafka topics hookstream owns');
  topics
    .command('create')
    .description('create every topic hookstream needs (idempotent)')
    .option('--partitions <n>', 'partitions per topic (default HOOKSTREAM_TOPIC_PARTITIONS)', positiveInt)
    .option('--replication <n>', 'replication factor (default HOOKSTREAM_TOPIC_REPLICATION)', positiveInt)
    .option('--event-topics', 'also create the event topics (HOOKSTREAM_EVENT_TOPICS), for local runs')
    .action(run(async () => (await import('./topics.js')).topicsCreateCommand));

  program
    .command('lag')
    .description('consumer lag and overdue seconds per group, topic and partition')
    .option('--json', 'print JSON rows instead of a table')
    .action(run(async () => (await import('./lag.js')).lagCommand));

  const events = program
    .command('events')
    .description('domain events: publish (for testing and demos), deliveries and erase by event id');
  events
    .command('publish')
    .description('publish domain events onto an event topic')
    .requiredOption('--env <env>', 'environment')
    .requiredOption('--type <type>', 'event type, e.g. vendor.created')
    .option('--data <json>', 'the event data', '{}')
    .option('--id <event_id>', 'event id (default: a new evt_<uuid>)')
    .option('--workflow-run-id <id>', 'workflow run id')
    .option('--topic <topic>', 'topic (default: the first of HOOKSTREAM_EVENT_TOPICS)')
    .option('--count <n>', 'how many events', integer(1, 1_000_000), 1)
    .action(run(async () => (await import('./events.js')).eventsPublishCommand));
  events
    .command('deliveries')
    .description('every delivery of one event across webhooks, with its attempts')
    .requiredOption('--env <env>', 'environment')
    .requiredOption('--id <event_id>', 'the event id upstream gave it')
    .option('--json', 'print JSON instead of a table')
    .action(run(async () => (await import('./events.js')).eventDeliveriesCommand));
  events
    .command('erase')
    .description('remove the stored bodies and response excerpts of every delivery of one event')
    .requiredOption('--env <env>', 'environment')
    .requiredOption('--id <event_id>', 'the event id upstream gave it')
    .action(run(async () => (await import('./events.js')).eventEraseCommand));

  program
    .command('receiver')
    .description('a small receiver that verifies signatures and prints one line per delivery')
    .requiredOption('--secret <secret>', 'a signing secret (repeat during a rotation)', collect)
    .option('--port <port>', 'port to listen on', port, 9000)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--fail-first <n>', 'answer 503 to the first N attempts of each delivery', nonNegativeInt, 0)
    .option('--header-prefix <prefix>', 'prefix of the delivery headers', 'Coverbase')
    .action(run(async () => (await import('./receiver.js')).receiverCommand));

  addWebhookCommands(program, run);
  addApiKeyCommands(program, run);
  return program;
}

type Run = <A extends Action>(load: () => Promise<A>) => (...args: unknown[]) => Promise<void>;

const env = (cmd: Command) => cmd.requiredOption('--env <env>', 'environment');
const target = (cmd: Command) => env(cmd).requiredOption('--id <webhook_id>', 'webhook id (wh_…)');

function addWebhookCommands(program: Command, run: Run): void {
  const webhooks = program.command('webhooks').description('webhooks, straight against MongoDB (no API key)');
  const verbs = async () => import('./webhooks.js');
  const sends = async () => import('./deliveries.js');
  addOptionFlags(
    env(webhooks.command('create').description('register a webhook (prints its secret once)')),
    'create',
  )
    .requiredOption('--url <url>', 'https URL of the receiver')
    .requiredOption('--types <list>', 'event types, families (vendor.*) or *, comma-separated', list)
    .option('--description <text>', 'free text')
    .option('--standard-webhooks', 'also send Standard Webhooks headers')
    .option('--disabled', 'register it disabled')
    .action(run(async () => (await verbs()).createCommand));
  env(webhooks.command('list').description('list the webhooks of an environment'))
    .option('--json', 'print JSON instead of a table')
    .action(run(async () => (await verbs()).listCommand));
  target(webhooks.command('get').description('show one webhook')).action(
    run(async () => (await verbs()).getCommand),
  );
  addOptionFlags(
    target(webhooks.command('update').description('change a webhook (only what is given)')),
    'update',
  )
    .option('--url <url>', 'https URL of the receiver')
    .option('--types <list>', 'event types, families (vendor.*) or *, comma-separated', list)
    .option('--description <text>', 'free text')
    .action(run(async () => (await verbs()).updateCommand));
  target(
    webhooks.command('enable').description('enable a webhook (resets auto-disable; needs Kafka)'),
  ).action(run(async () => (await verbs()).enableCommand(true)));
  target(webhooks.command('disable').description('disable a webhook (deliveries stop; needs Kafka)')).action(
    run(async () => (await verbs()).enableCommand(false)),
  );
  target(webhooks.command('delete').description('delete a webhook (its delivery history stays)')).action(
    run(async () => (await verbs()).deleteCommand),
  );
  target(webhooks.command('rotate').description('rotate the signing secret (prints the new one once)'))
    .option(
      '--overlap <duration>',
      'how long the previous secret keeps signing (default HOOKSTREAM_SECRET_OVERLAP)',
      duration,
    )
    .action(run(async () => (await verbs()).rotateCommand));
  target(webhooks.command('test').description('send a webhook.test event to this webhook now (needs Kafka)'))
    .option('--message <text>', 'the message in the event data')
    .action(run(async () => (await sends()).testCommand));
  target(webhooks.command('deliveries').description('delivery history of a webhook, newest first'))
    .addOption(new Option('--status <status>', 'only this status').choices(DELIVERY_STATUSES))
    .option('--event-type <type>', 'only this event type')
    .option('--since <time>', 'created at or after (RFC 3339)', dateTime)
    .option('--until <time>', 'created before (RFC 3339)', dateTime)
    .option('--limit <n>', 'at most this many', integer(1, 10_000), 50)
    .option('--json', 'print JSON instead of a table')
    .action(run(async () => (await sends()).deliveriesCommand));
  env(webhooks.command('retry').description('send one delivery again now (needs Kafka)'))
    .requiredOption('--delivery <delivery_id>', 'delivery id (dlv_…)')
    .action(run(async () => (await sends()).retryCommand));
  target(
    webhooks
      .command('replay')
      .description('send again every delivery that failed since a time (needs Kafka)'),
  )
    .requiredOption('--since <time>', 'failed at or after (RFC 3339)', dateTime)
    .option('--until <time>', 'failed before (RFC 3339; default now)', dateTime)
    .option('--limit <n>', 'at most this many (default 1000)', integer(1, 10_000))
    .action(run(async () => (await sends()).replayCommand));
}

function addApiKeyCommands(program: Command, run: Run): void {
  const keys = program.command('api-keys').description('API keys scoped to one environment');
  const verbs = async () => import('./api-keys.js');
  env(keys.command('create').description('mint a key for one environment (printed once, stored hashed)'))
    .option('--description <text>', 'free text')
    .action(run(async () => (await verbs()).apiKeyCreateCommand));
  keys
    .command('list')
    .description('list keys (never the keys themselves)')
    .option('--env <env>', 'only this environment')
    .option('--json', 'print JSON instead of a table')
    .action(run(async () => (await verbs()).apiKeyListCommand));
  keys
    .command('revoke')
    .description('revoke a key')
    .requiredOption('--id <key_id>', 'key id (key_…)')
    .action(run(async () => (await verbs()).apiKeyRevokeCommand));
  keys
    .command('generate-admin')
    .description('print a new random value for HOOKSTREAM_ADMIN_API_KEY (touches no service)')
    .action(run(async () => (await verbs()).generateAdminKeyCommand));
}

/**
 * The secure listeners for the secure suite: SASL_SSL Kafka (SCRAM-SHA-512) and TLS FerretDB from
 * `scripts/stack.sh` with HOOKSTREAM_STACK_SECURE=1.
 *
 *   1. The default stack instance already serves them (CI: .ci/run exports HOOKSTREAM_STACK_SECURE=1,
 *      so the integration setup starts the stack secure) → use them.
 *   2. Otherwise → a stack instance of its own (`secure`, ports 29092-29095 / 28017-28018, moved with
 *      HOOKSTREAM_SECURE_*_PORT), started here and stopped again afterwards if this run started it.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort } from '../../support/ports.js';

export { freePort };

const run = promisify(execFile);
const stackScript = fileURLToPath(new URL('../../../scripts/stack.sh', import.meta.url));

export interface SecureStack {
  /** The variables `stack.sh env secure` prints: brokers, TLS/SASL settings, the TLS MongoDB URI. */
  readonly env: Readonly<Record<string, string>>;
  /** The variables `stack.sh env mtls` prints: the SSL listener that requires a client certificate. */
  readonly mtls: Readonly<Record<string, string>>;
  /** The SCRAM user's password (from KAFKA_SASL_PASSWORD_FILE), to prove it never leaks. */
  readonly password: string;
  readonly source: string;
  stop(): Promise<void>;
}

const OWN_INSTANCE: Record<string, string> = {
  HOOKSTREAM_STACK_INSTANCE: 'secure',
  HOOKSTREAM_STACK_SECURE: '1',
  HOOKSTREAM_STACK_KAFKA_PORT: process.env.HOOKSTREAM_SECURE_KAFKA_PORT ?? '29092',
  HOOKSTREAM_STACK_CONTROLLER_PORT: process.env.HOOKSTREAM_SECURE_CONTROLLER_PORT ?? '29093',
  HOOKSTREAM_STACK_KAFKA_SECURE_PORT: process.env.HOOKSTREAM_SECURE_KAFKA_SECURE_PORT ?? '29094',
  HOOKSTREAM_STACK_KAFKA_MTLS_PORT: process.env.HOOKSTREAM_SECURE_KAFKA_MTLS_PORT ?? '29095',
  HOOKSTREAM_STACK_MONGO_PORT: process.env.HOOKSTREAM_SECURE_MONGO_PORT ?? '28017',
  HOOKSTREAM_STACK_MONGO_TLS_PORT: process.env.HOOKSTREAM_SECURE_MONGO_TLS_PORT ?? '28018',
  HOOKSTREAM_STACK_KAFKA_HEAP: '512m',
};

function stack(args: string[], extra: Record<string, string> = {}) {
  return run('bash', [stackScript, ...args], { env: { ...process.env, ...extra }, maxBuffer: 1 << 24 });
}

function parseEnv(stdout: string): Record<string, string> {
  return Object.fromEntries(
    [...stdout.matchAll(/^export (\w+)=(.*)$/gm)].map((m) => [m[1]!, m[2]!.replace(/^'(.*)'$/, '$1')]),
  );
}

function portOpen(hostPort: string): Promise<boolean> {
  const [host, port] = hostPort.split(':');
  return new Promise((resolve) => {
    const socket = connect({ host: host!, port: Number(port) }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

/** True when the listeners and files that `env secure` and `env mtls` name are all there. */
async function usable(env: Record<string, string>, mtls: Record<string, string>): Promise<boolean> {
  const mongo = /^mongodb:\/\/([^/]+)\//.exec(env.MONGODB_URI ?? '')?.[1];
  const files = [env.KAFKA_SSL_CA_FILE, env.KAFKA_SASL_PASSWORD_FILE, mtls.KAFKA_SSL_CERT_FILE];
  if (!env.KAFKA_BROKERS || !mtls.KAFKA_BROKERS || !mongo) return false;
  if (!files.every((f) => f !== undefined && existsSync(f))) return false;
  const ports = await Promise.all([env.KAFKA_BROKERS, mtls.KAFKA_BROKERS, mongo].map(portOpen));
  return ports.every(Boolean);
}

/** The secure and mutual-TLS variables of one stack instance, and whether they can be used now. */
async function instanceEnv(extra: Record<string, string> = {}) {
  const env = parseEnv((await stack(['env', 'secure'], extra)).stdout);
  const mtls = parseEnv((await stack(['env', 'mtls'], extra)).stdout);
  return { env, mtls, ok: await usable(env, mtls) };
}

function describeStack(
  { env, mtls }: { env: Record<string, string>; mtls: Record<string, string> },
  source: string,
  stop: () => Promise<void>,
): SecureStack {
  const password = readFileSync(env.KAFKA_SASL_PASSWORD_FILE!, 'utf8').trim();
  return { env, mtls, password, source, stop };
}

export async function secureStack(): Promise<SecureStack> {
  const shared = await instanceEnv();
  if (shared.ok) return describeStack(shared, 'scripts/stack.sh (default instance)', async () => {});

  const wasUp = await stack(['status'], OWN_INSTANCE).then(
    () => true,
    () => false,
  );
  if (!wasUp)
    process.stderr.write('secure tests: starting stack instance "secure" (SASL_SSL Kafka, TLS FerretDB)\n');
  await stack(['up'], OWN_INSTANCE);
  const own = await instanceEnv(OWN_INSTANCE);
  if (!own.ok) throw new Error(`the secure stack instance is up but unusable: ${JSON.stringify(own)}`);
  return describeStack(own, 'scripts/stack.sh (instance secure)', async () => {
    if (!wasUp && !process.env.HOOKSTREAM_TEST_KEEP_STACK) await stack(['down'], OWN_INSTANCE);
  });
}

/** The pino JSON lines of a role's output (other lines, e.g. the CLI's stderr, are skipped). */
export function logLines(
  output: string,
): { level: string; msg: string; line: string; err?: { message?: string } }[] {
  return output
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((line) => ({ ...(JSON.parse(line) as { level: string; msg: string }), line }));
}

/**
 * The fault suite's own service instance (scripts/stack.sh with HOOKSTREAM_STACK_INSTANCE=faults on
 * ports of its own), so that stopping its broker or database never disturbs other test runs that use
 * the shared 9092/27017 stack. Ports can be moved with the HOOKSTREAM_FAULTS_* variables.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const STACK_SCRIPT = join(REPO, 'scripts/stack.sh');

export const FAULTS_INSTANCE = 'faults';
const ports = {
  kafka: process.env.HOOKSTREAM_FAULTS_KAFKA_PORT ?? '19092',
  controller: process.env.HOOKSTREAM_FAULTS_CONTROLLER_PORT ?? '19093',
  mongo: process.env.HOOKSTREAM_FAULTS_MONGO_PORT ?? '27118',
};

/** Environment for scripts/stack.sh that selects the faults instance. */
export function stackEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    HOOKSTREAM_STACK_INSTANCE: FAULTS_INSTANCE,
    HOOKSTREAM_STACK_KAFKA_PORT: ports.kafka,
    HOOKSTREAM_STACK_CONTROLLER_PORT: ports.controller,
    HOOKSTREAM_STACK_MONGO_PORT: ports.mongo,
    // Plain listeners only: the secure ones (9094/27018 by default) belong to the default instance.
    HOOKSTREAM_STACK_SECURE: '0',
  };
}

/** Where the instance keeps its data and logs; role logs and the outcome report go here too. */
export function instanceDir(): string {
  return join(process.env.HOOKSTREAM_STACK_DIR ?? join(REPO, '.stack'), 'instances', FAULTS_INSTANCE);
}

export const FAULTS_BROKERS = `127.0.0.1:${ports.kafka}`;
export const FAULTS_MONGO_URI = `mongodb://127.0.0.1:${ports.mongo}/hookstream`;

export async function stack(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run('bash', [STACK_SCRIPT, ...args], { env: stackEnv(), maxBuffer: 1 << 24 });
}

export type Service = 'kafka' | 'ferretdb';

/** Stops one service of the faults instance (SIGTERM, as an orchestrator would). */
export async function stopService(service: Service): Promise<void> {
  await stack('stop', service);
}

/** Starts it again and waits until it accepts connections (Kafka: until the broker reports started). */
export async function startService(service: Service): Promise<void> {
  await stack('start', service);
}

/**
 * Vitest global setup for the integration project: finds real Kafka and MongoDB-protocol services.
 *   1. KAFKA_BROKERS and MONGODB_URI set → use them.
 *   2. A container runtime answers → testcontainers: Kafka (KRaft) and mongo:7.
 *   3. Otherwise → scripts/stack.sh (Kafka from Maven jars + FerretDB), started if not running and
 *      stopped again afterwards if this run started it.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';

const run = promisify(execFile);
const stackScript = fileURLToPath(new URL('../../scripts/stack.sh', import.meta.url));

declare module 'vitest' {
  export interface ProvidedContext {
    kafkaBrokers: string;
    mongoUri: string;
    servicesSource: string;
  }
}

type Teardown = () => Promise<void>;

async function fromContainers(): Promise<{ brokers: string; mongoUri: string; teardown: Teardown } | null> {
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await getContainerRuntimeClient();
  } catch {
    return null; // no Docker/Podman here
  }
  const { KafkaContainer } = await import('@testcontainers/kafka');
  const { MongoDBContainer } = await import('@testcontainers/mongodb');
  const [kafka, mongo] = await Promise.all([
    new KafkaContainer('confluentinc/cp-kafka:7.7.1').withKraft().start(),
    new MongoDBContainer('mongo:7').start(),
  ]);
  return {
    brokers: `${kafka.getHost()}:${kafka.getMappedPort(9093)}`,
    mongoUri: `mongodb://${mongo.getHost()}:${mongo.getMappedPort(27017)}/hookstream?directConnection=true`,
    teardown: async () => {
      await Promise.all([kafka.stop(), mongo.stop()]);
    },
  };
}

async function fromStack(): Promise<{ brokers: string; mongoUri: string; teardown: Teardown }> {
  const wasUp = await run('bash', [stackScript, 'status']).then(
    () => true,
    () => false,
  );
  if (!wasUp) {
    process.stderr.write('integration tests: starting local services with scripts/stack.sh up\n');
    await run('bash', [stackScript, 'up'], { maxBuffer: 1 << 24 });
  }
  const { stdout } = await run('bash', [stackScript, 'env']);
  const env = Object.fromEntries([...stdout.matchAll(/^export (\w+)=(.*)$/gm)].map((m) => [m[1], m[2]]));
  return {
    brokers: env.KAFKA_BROKERS!,
    mongoUri: env.MONGODB_URI!,
    teardown: async () => {
      if (!wasUp && !process.env.HOOKSTREAM_TEST_KEEP_STACK) await run('bash', [stackScript, 'down']);
    },
  };
}

export default async function setup(project: TestProject): Promise<Teardown> {
  let services: { brokers: string; mongoUri: string; teardown: Teardown; source: string };
  if (process.env.KAFKA_BROKERS && process.env.MONGODB_URI) {
    services = {
      brokers: process.env.KAFKA_BROKERS,
      mongoUri: process.env.MONGODB_URI,
      teardown: async () => {},
      source: 'environment',
    };
  } else {
    const containers = await fromContainers();
    services = containers
      ? { ...containers, source: 'testcontainers' }
      : { ...(await fromStack()), source: 'scripts/stack.sh' };
  }
  process.stderr.write(
    `integration tests: Kafka ${services.brokers}, MongoDB ${services.mongoUri} (from ${services.source})\n`,
  );
  project.provide('kafkaBrokers', services.brokers);
  project.provide('mongoUri', services.mongoUri);
  project.provide('servicesSource', services.source);
  return services.teardown;
}

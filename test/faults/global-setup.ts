/**
 * Vitest global setup for the `faults` project: a separate Kafka + FerretDB instance (scripts/stack.sh,
 * instance `faults`, Kafka 19092, FerretDB 27118) that the scenarios may stop and start at will.
 * Roles run as child processes from dist/ (`npm run test:faults` builds first).
 *
 * Provides the same keys as the integration setup (`kafkaBrokers`, `mongoUri`), so the helpers in
 * test/support work unchanged against this instance. At the end, prints the faults × outcome table
 * collected from every scenario (see support/report.ts).
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { outcomeTable, readOutcomes, reportFile } from './support/report.js';
import { FAULTS_BROKERS, FAULTS_MONGO_URI, instanceDir, REPO, stack } from './support/stack.js';

/** One fault run per machine: scenarios stop and start the instance's services. */
function takeLock(): () => void {
  const lock = join(instanceDir(), 'run.lock');
  mkdirSync(instanceDir(), { recursive: true });
  if (existsSync(lock)) {
    const pid = Number(readFileSync(lock, 'utf8'));
    let alive = false;
    try {
      process.kill(pid, 0);
      alive = true;
    } catch {
      // stale lock of a run that died
    }
    if (alive)
      throw new Error(`another fault run (pid ${pid}) is using the faults stack instance; wait for it`);
  }
  writeFileSync(lock, String(process.pid));
  return () => rmSync(lock, { force: true });
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (!existsSync(join(REPO, 'dist/main.js'))) {
    throw new Error('dist/main.js is missing: the fault suite runs the built roles (npm run build first)');
  }
  const unlock = takeLock();
  const wasUp = await stack('status').then(
    () => true,
    () => false,
  );
  if (!wasUp) {
    process.stderr.write('fault tests: starting their own Kafka and FerretDB (stack instance "faults")\n');
    // `up` is idempotent: it starts whichever of the two is not running.
    await stack('up');
  }
  // Role logs and the outcome table of the previous run: this run writes its own.
  rmSync(reportFile(), { force: true });
  rmSync(join(instanceDir(), 'roles'), { recursive: true, force: true });
  process.stderr.write(`fault tests: Kafka ${FAULTS_BROKERS}, MongoDB ${FAULTS_MONGO_URI}\n`);
  project.provide('kafkaBrokers', FAULTS_BROKERS);
  project.provide('mongoUri', FAULTS_MONGO_URI);
  project.provide('servicesSource', 'scripts/stack.sh (instance faults)');

  return async () => {
    const rows = readOutcomes();
    if (rows.length > 0) process.stderr.write(`\nfaults × outcome\n\n${outcomeTable(rows)}\n`);
    // A scenario that failed half-way may have left a service stopped: `up` starts it again.
    try {
      if (!wasUp && !process.env.HOOKSTREAM_TEST_KEEP_STACK) await stack('down');
      else await stack('up').catch(() => {});
    } finally {
      unlock();
    }
  };
}

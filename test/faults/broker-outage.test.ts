/**
 * The Kafka broker stopped for 30 s in the middle of a load, then started again. The roles are not
 * restarted: they must reconnect by themselves. Expected: zero lost, the same processes running
 * throughout, deliveries resuming once the broker is back.
 */
import { describe, expect, it } from 'vitest';
import { resources, sleep } from '../support/helpers.js';
import { seededRandom } from './ledger.js';
import { recordOutcome } from './support/report.js';
import { roleProcesses } from './support/roles.js';
import { createScenario } from './support/scenario.js';
import { startService, stopService } from './support/stack.js';

const OUTAGE_MS = 30_000;

describe('Kafka broker outage', () => {
  const r = resources();
  const roles = roleProcesses();

  it('stopped for 30 s during load: nothing is lost and the roles recover without a restart', async () => {
    const random = seededRandom(3);
    const s = await createScenario(r, roles, 'broker-outage', {
      behaviour: () => ({ status: random() < 0.1 ? 500 : 200, delayMs: Math.floor(random() * 30) }),
      // Jobs wait out the outage; the budget is longer than it, as the 24 h production budget is.
      env: { HOOKSTREAM_RETRY_BUDGET: '120s' },
    });
    const router = await s.role('router', ['router']).start();
    const sender = await s.role('sender', ['sender', '--tier', 'all']).start();
    const load = s.load({ count: 2_400, perSecond: 40 });

    await load.until(400);
    const stoppedAt = Date.now();
    let restartedAt: number;
    try {
      await stopService('kafka');
      await sleep(OUTAGE_MS);
    } finally {
      await startService('kafka');
      restartedAt = Date.now();
    }
    process.stderr.write(`broker down for ${restartedAt - stoppedAt} ms (stop + 30 s + start)\n`);
    await load.done;
    const settledAt = await s.settle({ timeoutMs: 240_000 });

    const rec = s.ledger.reconcile(s.schedule);
    process.stderr.write(`broker outage: ${JSON.stringify({ ...rec, lost: rec.lost.length })}\n`);
    expect(rec.lost).toEqual([]);
    expect(rec.unexpected).toBe(0);
    expect(rec.badSignatures).toBe(0);
    expect(rec.deadLetteredTwice).toEqual([]);
    expect(rec.deliveredAndDeadLettered).toEqual([]);
    expect(rec.early).toEqual([]);
    // Recovered on their own: never exited, never restarted, ready again.
    for (const role of [router, sender]) {
      expect(role.crashes).toEqual([]);
      expect(role.starts).toBe(1);
      expect(role.running).toBe(true);
    }
    await router.waitReady(30_000);
    await sender.waitReady(30_000);

    // Nothing moves without the broker: recovered when the first delivery after it is back arrives.
    const recovered = s.ledger.firstSuccessAfter(restartedAt);
    recordOutcome({
      fault: 'Kafka broker stopped 30 s during load',
      events: rec.events,
      deliveries: rec.expected,
      lost: rec.lost.length,
      duplicated: rec.duplicates,
      deadLettered: rec.deadLettered,
      recoverMs: recovered === null ? null : Math.max(0, recovered - restartedAt),
      catchUpMs: settledAt - restartedAt,
      notes: 'roles not restarted',
    });
  });
});

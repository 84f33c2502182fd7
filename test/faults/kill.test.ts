/**
 * `kill -9` of a sender, and of the router, in the middle of a load; restarted after 3 s.
 * Expected: zero lost; duplicates only from work the killed process had done but not committed,
 * so bounded by what it handled in the last commit interval plus its in-flight window.
 */
import { describe, expect, it } from 'vitest';
import { resources, sleep } from '../support/helpers.js';
import { seededRandom } from './ledger.js';
import { recordOutcome } from './support/report.js';
import { roleProcesses } from './support/roles.js';
import { type Behaviour, createScenario } from './support/scenario.js';

const EVENTS = 1_200;
const PER_SECOND = 40;
const KILL_AFTER = 300;
const DOWN_MS = 3_000;
/**
 * A killed member's partitions move only when its session (30 s) expires, and jobs wait that long;
 * with the 20 s test budget they would be dead-lettered for a stall production (24 h budget) never
 * notices. The budget here is longer than that stall, as it is in production.
 */
const ENV = { HOOKSTREAM_RETRY_BUDGET: '60s' };

/** 10 % of attempts fail with a 500 so the retry tiers carry work too; answers take 0–30 ms. */
function mostlyHealthy(seed: number): Behaviour {
  const random = seededRandom(seed);
  return () => ({ status: random() < 0.1 ? 500 : 200, delayMs: Math.floor(random() * 30) });
}

describe('kill -9 during load', () => {
  const r = resources();
  const roles = roleProcesses();

  it('of the sender: restarted, nothing is lost and duplicates stay within the uncommitted window', async () => {
    const s = await createScenario(r, roles, 'kill-sender', { behaviour: mostlyHealthy(1), env: ENV });
    const window = Number(s.env.HOOKSTREAM_SENDER_CONCURRENCY);
    const router = await s.role('router', ['router']).start();
    const sender = await s.role('sender', ['sender', '--tier', 'all']).start();
    const load = s.load({ count: EVENTS, perSecond: PER_SECOND });

    await load.until(KILL_AFTER);
    const killedAt = Date.now();
    await sender.kill9();
    await sleep(DOWN_MS);
    const restartedAt = Date.now();
    await sender.start();
    await load.done;
    const settledAt = await s.settle();

    const rec = s.ledger.reconcile(s.schedule);
    // Work the killed sender may have finished without committing: the last commit interval (1 s)
    // plus commit latency, generously 3 s of successes, plus a full in-flight window per consumer (4).
    const bound = s.ledger.successesBetween(killedAt - 3_000, killedAt) + 4 * window;
    process.stderr.write(`kill sender: ${JSON.stringify({ ...rec, lost: rec.lost.length, bound })}\n`);
    expect(rec.lost).toEqual([]);
    expect(rec.unexpected).toBe(0);
    expect(rec.badSignatures).toBe(0);
    expect(rec.deadLetteredTwice).toEqual([]);
    expect(rec.deliveredAndDeadLettered).toEqual([]);
    expect(rec.early).toEqual([]);
    expect(rec.duplicates).toBeLessThanOrEqual(bound);
    expect(router.crashes).toEqual([]);
    expect(sender.crashes).toEqual([]);

    const recovered = s.ledger.firstDeliveryOfEventsSince(killedAt);
    recordOutcome({
      fault: 'kill -9 sender (all tiers), restarted after 3 s',
      events: rec.events,
      deliveries: rec.expected,
      lost: rec.lost.length,
      duplicated: rec.duplicates,
      deadLettered: rec.deadLettered,
      recoverMs: recovered === null ? null : Math.max(0, recovered - restartedAt),
      catchUpMs: settledAt - restartedAt,
      notes: `duplicates bound ${bound}`,
    });
  });

  it('of the router: restarted, nothing is lost and duplicates stay within its uncommitted batches', async () => {
    const s = await createScenario(r, roles, 'kill-router', { behaviour: mostlyHealthy(2), env: ENV });
    const router = await s.role('router', ['router']).start();
    const sender = await s.role('sender', ['sender', '--tier', 'all']).start();
    const load = s.load({ count: EVENTS, perSecond: PER_SECOND });

    await load.until(KILL_AFTER);
    const killedAt = Date.now();
    await router.kill9();
    await sleep(DOWN_MS);
    const restartedAt = Date.now();
    await router.start();
    await load.done;
    const settledAt = await s.settle();

    const rec = s.ledger.reconcile(s.schedule);
    // The router commits after every produced batch: at most the events of the batches in hand at
    // the kill are routed twice — generously, everything produced in the 5 s before it.
    const bound = s.ledger.expectedProducedBetween(killedAt - 5_000, killedAt);
    process.stderr.write(`kill router: ${JSON.stringify({ ...rec, lost: rec.lost.length, bound })}\n`);
    expect(rec.lost).toEqual([]);
    expect(rec.unexpected).toBe(0);
    expect(rec.badSignatures).toBe(0);
    expect(rec.deadLetteredTwice).toEqual([]);
    expect(rec.deliveredAndDeadLettered).toEqual([]);
    expect(rec.early).toEqual([]);
    expect(rec.duplicates).toBeLessThanOrEqual(bound);
    expect(router.crashes).toEqual([]);
    expect(sender.crashes).toEqual([]);

    const recovered = s.ledger.firstDeliveryOfEventsSince(killedAt);
    recordOutcome({
      fault: 'kill -9 router, restarted after 3 s',
      events: rec.events,
      deliveries: rec.expected,
      lost: rec.lost.length,
      duplicated: rec.duplicates,
      deadLettered: rec.deadLettered,
      recoverMs: recovered === null ? null : Math.max(0, recovered - restartedAt),
      catchUpMs: settledAt - restartedAt,
      notes: `duplicates bound ${bound}`,
    });
  });
});

/**
 * Senders scaled 1 → 3 → 1 during load: two more `sender --tier all` processes join (every
 * consumer group rebalances), and later leave with SIGTERM as a scale-down would. One attempt in
 * five fails, so the retry tiers — whose partitions pause until their head is due — move between
 * members too. Expected: zero lost, no attempt before its due time, duplicates only from work
 * handed over in a rebalance.
 */
import { describe, expect, it } from 'vitest';
import { resources } from '../support/helpers.js';
import { seededRandom } from './ledger.js';
import { recordOutcome } from './support/report.js';
import { roleProcesses } from './support/roles.js';
import { createScenario } from './support/scenario.js';

describe('scaling senders', () => {
  const r = resources();
  const roles = roleProcesses();

  it('1 → 3 → 1 during load: nothing lost, no attempt early', async () => {
    const random = seededRandom(6);
    const s = await createScenario(r, roles, 'scaling', {
      behaviour: () => ({ status: random() < 0.2 ? 500 : 200, delayMs: Math.floor(random() * 30) }),
      env: { HOOKSTREAM_RETRY_BUDGET: '60s' },
    });
    const window = Number(s.env.HOOKSTREAM_SENDER_CONCURRENCY);
    const router = await s.role('router', ['router']).start();
    const first = await s.role('sender-1', ['sender', '--tier', 'all']).start();
    const load = s.load({ count: 1_800, perSecond: 30 });
    const startedAt = Date.now();

    await load.until(400);
    const upAt = Date.now();
    const extra = [
      s.role('sender-2', ['sender', '--tier', 'all']),
      s.role('sender-3', ['sender', '--tier', 'all']),
    ];
    await Promise.all(extra.map((p) => p.start()));
    const upDoneAt = Date.now();
    await load.until(1_100);
    const downAt = Date.now();
    await Promise.all(extra.map((p) => p.stop()));
    const downDoneAt = Date.now();
    await load.done;
    const loadedAt = Date.now();
    const settledAt = await s.settle({ timeoutMs: 180_000 });

    const rec = s.ledger.reconcile(s.schedule);
    // Handed-over work can be repeated: what was done since the last commit (1 s interval, 3 s
    // generously) before each rebalance and while it ran, plus the in-flight windows of the 4
    // consumers of each of the 3 members, per rebalance.
    const bound =
      s.ledger.successesBetween(upAt - 3_000, upDoneAt) +
      s.ledger.successesBetween(downAt - 3_000, downDoneAt) +
      2 * 3 * 4 * window;
    const stall = s.ledger.longestStall(startedAt + 2_000, loadedAt);
    process.stderr.write(`scaling: ${JSON.stringify({ ...rec, lost: rec.lost.length, bound, stall })}\n`);
    expect(rec.lost).toEqual([]);
    expect(rec.unexpected).toBe(0);
    expect(rec.badSignatures).toBe(0);
    expect(rec.early).toEqual([]);
    expect(rec.deadLetteredTwice).toEqual([]);
    expect(rec.deliveredAndDeadLettered).toEqual([]);
    expect(rec.duplicates).toBeLessThanOrEqual(bound);
    for (const p of [router, first, ...extra]) expect(p.crashes).toEqual([]);

    recordOutcome({
      fault: 'senders scaled 1 → 3 → 1 during load',
      events: rec.events,
      deliveries: rec.expected,
      lost: rec.lost.length,
      duplicated: rec.duplicates,
      deadLettered: rec.deadLettered,
      recoverMs: stall,
      catchUpMs: settledAt - loadedAt,
      notes: `time to recover = longest pause between deliveries (rebalances); 0 attempts early`,
    });
  });
});

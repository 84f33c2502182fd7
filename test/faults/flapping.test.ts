/**
 * Receivers flapping for the whole run: half of all attempts answer 5xx, one in twenty hangs until
 * the sender's timeout, the rest answer 200. Expected: every delivery either succeeds or — when all
 * its attempts within the 20 s budget failed — is dead-lettered exactly once, after using its budget,
 * and no attempt comes before its due time.
 */
import { describe, expect, it } from 'vitest';
import { resources } from '../support/helpers.js';
import { seededRandom } from './ledger.js';
import { recordOutcome } from './support/report.js';
import { roleProcesses } from './support/roles.js';
import { createScenario } from './support/scenario.js';

describe('flapping receivers', () => {
  const r = resources();
  const roles = roleProcesses();

  it('50 % 5xx and random hangs all run long: each delivery succeeds or is dead-lettered once, at the budget', async () => {
    const random = seededRandom(5);
    const s = await createScenario(r, roles, 'flapping', {
      behaviour: () => {
        const x = random();
        if (x < 0.05) return 'hang';
        if (x < 0.55) return { status: [500, 502, 503, 504][Math.floor(random() * 4)]! };
        return { status: 200, delayMs: Math.floor(random() * 50) };
      },
    });
    const router = await s.role('router', ['router']).start();
    const sender = await s.role('sender', ['sender', '--tier', 'all']).start();
    const load = s.load({ count: 600, perSecond: 20 });
    await load.done;
    const loadedAt = Date.now();
    const settledAt = await s.settle({ timeoutMs: 120_000 });

    const rec = s.ledger.reconcile(s.schedule);
    process.stderr.write(`flapping: ${JSON.stringify({ ...rec, lost: rec.lost.length })}\n`);
    expect(rec.lost).toEqual([]);
    expect(rec.unexpected).toBe(0);
    expect(rec.badSignatures).toBe(0);
    expect(rec.deadLetteredTwice).toEqual([]);
    expect(rec.deliveredAndDeadLettered).toEqual([]);
    expect(rec.early).toEqual([]);
    expect(rec.deadLetteredEarly).toEqual([]);
    expect(rec.delivered + rec.deadLettered).toBe(rec.expected);
    // With p(fail) = 0.55 per attempt and ~7 attempts in 20 s, about 1–2 % run out of budget.
    expect(rec.deadLettered).toBeGreaterThan(0);
    expect(rec.maxAttempt).toBeGreaterThanOrEqual(6);
    const reasons = new Set(s.deadLetters.records.map((d) => d.headers['hookstream-dead-letter-reason']));
    expect([...reasons]).toEqual(['budget_exhausted']);
    expect(router.crashes).toEqual([]);
    expect(sender.crashes).toEqual([]);

    recordOutcome({
      fault: 'receivers flapping all run (50 % 5xx, 5 % hang)',
      events: rec.events,
      deliveries: rec.expected,
      lost: rec.lost.length,
      duplicated: rec.duplicates,
      deadLettered: rec.deadLettered,
      recoverMs: null,
      catchUpMs: settledAt - loadedAt,
      notes: `${rec.requests} attempts, up to ${rec.maxAttempt} per delivery; every dead letter at the 20 s budget, once`,
    });
  });
});

import { describe, expect, it } from 'vitest';
import {
  applyOutcomes,
  decideHealth,
  EMPTY_SUMMARY,
  type EndpointHealth,
  HEALTHY,
  type HealthPolicy,
  type HealthSample,
  mergeSummaries,
  summarize,
} from '../../../src/core/endpoint-health.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const at = (seconds: number) => new Date(T0 + seconds * 1000);
const fail = (seconds: number): HealthSample => ({ ok: false, at: at(seconds) });
const ok = (seconds: number): HealthSample => ({ ok: true, at: at(seconds) });
/** 100 s of failures, at least 10 of them. */
const policy: HealthPolicy = { disableAfterMs: 100_000, minAttempts: 10 };

/** Failures every `step` seconds from `from` to `to` inclusive. */
function failures(from: number, to: number, step: number): HealthSample[] {
  const out: HealthSample[] = [];
  for (let s = from; s <= to; s += step) out.push(fail(s));
  return out;
}

describe('decideHealth', () => {
  it('starts a streak at the first failure and counts the failures', () => {
    const d = decideHealth(HEALTHY, [fail(5), fail(7)], policy);
    expect(d.state).toEqual({
      failing_since: at(5),
      failed_attempts: 2,
      last_success_at: null,
      reset_at: null,
    });
    expect(d.changed).toBe(true);
    expect(d.disable).toBe(false);
  });

  it('disables once the streak lasts the whole window with enough attempts', () => {
    expect(decideHealth(HEALTHY, failures(0, 90, 10), policy).disable).toBe(false); // 90 s < 100 s
    const d = decideHealth(HEALTHY, failures(0, 100, 10), policy); // 11 failures over 100 s
    expect(d.disable).toBe(true);
    expect(d.state.failing_since).toEqual(at(0));
    expect(d.state.failed_attempts).toBe(11);
  });

  it('does not disable with fewer attempts than the minimum, however long it fails', () => {
    const d = decideHealth(HEALTHY, [fail(0), fail(500), fail(1000)], policy);
    expect(d.state.failed_attempts).toBe(3);
    expect(d.disable).toBe(false);
    expect(decideHealth(HEALTHY, [fail(0), fail(1000)], { ...policy, minAttempts: 2 }).disable).toBe(true);
  });

  it('never disables when the window is 0', () => {
    expect(decideHealth(HEALTHY, failures(0, 10_000, 10), { ...policy, disableAfterMs: 0 }).disable).toBe(
      false,
    );
  });

  it('one success resets the streak; only the failures after it count', () => {
    const d = decideHealth(HEALTHY, [...failures(0, 100, 10), ok(101), fail(102), fail(103)], policy);
    expect(d.disable).toBe(false);
    expect(d.state).toEqual({
      failing_since: at(102),
      failed_attempts: 2,
      last_success_at: at(101),
      reset_at: null,
    });
  });

  it('sorts samples: a success listed first but made last still resets', () => {
    const d = decideHealth(HEALTHY, [ok(200), ...failures(0, 150, 10)], policy);
    expect(d.state.failing_since).toBeNull();
    expect(d.state.failed_attempts).toBe(0);
    expect(d.disable).toBe(false);
  });

  it('a flapping endpoint that succeeds now and then is never disabled', () => {
    let state: EndpointHealth = HEALTHY;
    for (let minute = 0; minute < 60; minute++) {
      const base = minute * 60;
      // 40 s of failures (9), then one success, every minute for an hour, applied in 3-sample
      // flushes: the streak never lasts the 60 s window.
      const samples = [...failures(base, base + 40, 5), ok(base + 45)];
      for (let i = 0; i < samples.length; i += 3) {
        const d = decideHealth(state, samples.slice(i, i + 3), { disableAfterMs: 60_000, minAttempts: 5 });
        expect(d.disable).toBe(false);
        state = d.state;
      }
    }
    expect(state.failing_since).toBeNull();
  });
});

describe('applyOutcomes across flushes and senders', () => {
  it('continues a stored streak with later batches and disables at the threshold', () => {
    let state: EndpointHealth = HEALTHY;
    let disabledAt: number | null = null;
    for (let s = 0; s <= 200 && disabledAt === null; s += 10) {
      const d = decideHealth(state, [fail(s)], policy);
      state = d.state;
      if (d.disable) disabledAt = s;
    }
    expect(disabledAt).toBe(100);
    expect(state.failed_attempts).toBe(11);
  });

  it('a batch that holds no success and no failure changes nothing', () => {
    const stored: EndpointHealth = { ...HEALTHY, failing_since: at(0), failed_attempts: 3 };
    expect(applyOutcomes(stored, EMPTY_SUMMARY, policy)).toEqual({
      state: stored,
      changed: false,
      deferred: false,
      disable: false,
    });
  });

  it('a repeated success (same time) is not a change', () => {
    const stored: EndpointHealth = { ...HEALTHY, last_success_at: at(10) };
    expect(decideHealth(stored, [ok(10)], policy)).toMatchObject({ changed: false, deferred: false });
  });

  it('a healthy webhook writes last_success_at at most once per resolution; the first success at once', () => {
    const stored: EndpointHealth = { ...HEALTHY, last_success_at: at(10) };
    // Default resolution 60 s: a newer success within it is deferred (kept, not written).
    expect(decideHealth(stored, [ok(11)], policy)).toMatchObject({ changed: false, deferred: true });
    expect(decideHealth(stored, [ok(69)], policy)).toMatchObject({ changed: false, deferred: true });
    const due = decideHealth(stored, [ok(70)], policy);
    expect(due).toMatchObject({ changed: true, deferred: false });
    expect(due.state.last_success_at).toEqual(at(70));
    expect(decideHealth(HEALTHY, [ok(1)], policy)).toMatchObject({ changed: true, deferred: false });
    const every = { ...policy, lastSuccessResolutionMs: 0 };
    expect(decideHealth(stored, [ok(11)], every)).toMatchObject({ changed: true, deferred: false });
  });

  it('a failure is written at once even right after a deferred success, and the success still ends older failures', () => {
    const stored: EndpointHealth = { ...HEALTHY, last_success_at: at(10) };
    const d = decideHealth(stored, [ok(30), fail(31)], policy);
    expect(d).toMatchObject({ changed: true, deferred: false });
    expect(d.state).toMatchObject({ failing_since: at(31), failed_attempts: 1, last_success_at: at(30) });
    // A failure older than the deferred success (out of order) starts no streak.
    expect(decideHealth(stored, [ok(30), fail(25)], policy)).toMatchObject({
      changed: false,
      deferred: true,
    });
  });

  it('a success older than the stored streak does not reset it', () => {
    const stored: EndpointHealth = {
      ...HEALTHY,
      failing_since: at(50),
      failed_attempts: 10,
      last_success_at: at(40),
    };
    const d = decideHealth(stored, [ok(45), fail(150)], policy);
    expect(d.state.failing_since).toEqual(at(50));
    expect(d.state.failed_attempts).toBe(11);
    expect(d.disable).toBe(true);
  });

  it('failures older than a success another sender stored do not count', () => {
    const stored: EndpointHealth = { ...HEALTHY, last_success_at: at(100) };
    const d = decideHealth(stored, [fail(90), fail(95)], policy);
    expect(d.state.failing_since).toBeNull();
    expect(d.state.failed_attempts).toBe(0);
    expect(d.changed).toBe(false);
  });

  it('an out-of-order success inside a folded streak keeps only the latest failure (never hastens a disable)', () => {
    let m = EMPTY_SUMMARY;
    for (const s of [fail(10), fail(20), fail(30), ok(25)]) m = summarize(m, s);
    expect(m).toEqual({ lastSuccessAt: at(25), failures: 1, firstFailureAt: at(30), lastFailureAt: at(30) });
  });

  it('a stored streak is ended by a success at or after its start', () => {
    const stored: EndpointHealth = { ...HEALTHY, failing_since: at(50), failed_attempts: 20 };
    const d = decideHealth(stored, [ok(50)], policy);
    expect(d.state).toEqual({ ...HEALTHY, last_success_at: at(50) });
    expect(d.changed).toBe(true);
  });

  it('after a re-enable, outcomes from before it are ignored and the clock starts again', () => {
    const reset: EndpointHealth = { ...HEALTHY, reset_at: at(1000) };
    // Buffered failures from before the re-enable do not start a streak…
    expect(decideHealth(reset, failures(0, 900, 10), policy).state.failing_since).toBeNull();
    // …a batch straddling it keeps only its latest failure…
    const straddle = decideHealth(reset, failures(900, 1100, 10), policy);
    expect(straddle.state.failing_since).toEqual(at(1100));
    expect(straddle.state.failed_attempts).toBe(1);
    expect(straddle.disable).toBe(false);
    // …and failures after it count from it.
    const after = decideHealth(reset, failures(1010, 1110, 10), policy);
    expect(after.state.failing_since).toEqual(at(1010));
    expect(after.disable).toBe(true);
    expect(after.state.reset_at).toEqual(at(1000));
  });

  it('a stored streak that began before the re-enable is not continued', () => {
    const stale: EndpointHealth = {
      failing_since: at(0),
      failed_attempts: 50,
      last_success_at: null,
      reset_at: at(500),
    };
    const d = decideHealth(stale, [fail(510)], policy);
    expect(d.state.failing_since).toEqual(at(510));
    expect(d.state.failed_attempts).toBe(1);
    expect(d.disable).toBe(false);
  });
});

describe('mergeSummaries', () => {
  const fold = (samples: HealthSample[]) => samples.reduce(summarize, EMPTY_SUMMARY);

  it('equals folding both batches in time order when they do not overlap', () => {
    const a = [fail(0), fail(5), ok(6), fail(8)];
    const b = [fail(10), fail(12)];
    expect(mergeSummaries(fold(a), fold(b))).toEqual(fold([...a, ...b]));
    expect(mergeSummaries(fold(b), fold(a))).toEqual(fold([...a, ...b]));
  });

  it('a later success in either drops the failures before it', () => {
    expect(mergeSummaries(fold([fail(1), fail(2)]), fold([ok(3)]))).toEqual({
      lastSuccessAt: at(3),
      failures: 0,
      firstFailureAt: null,
      lastFailureAt: null,
    });
    expect(mergeSummaries(EMPTY_SUMMARY, EMPTY_SUMMARY)).toEqual(EMPTY_SUMMARY);
  });
});

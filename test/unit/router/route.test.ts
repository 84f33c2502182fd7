import { describe, expect, it } from 'vitest';
import { decodeJob } from '../../../src/core/job.js';
import { WebhookIndex } from '../../../src/core/matching.js';
import { guaranteedBodyBytes, JOB_FIXED_BYTES_MAX, routeEvent } from '../../../src/core/route.js';
import { kafkaTunables, maxJobBytes } from '../../../src/kafka/tunables.js';
import { envelope, liveIndex } from './support.js';

const NOW = 1_767_225_600_000;
const limits = { maxJobBytes: 1_044_480 };

describe('routeEvent', () => {
  it('makes one first-attempt job per matching webhook, keyed by webhook id, due now', () => {
    const { index } = liveIndex([
      { id: 'wh_b' },
      { id: 'wh_a', event_types: ['vendor.*'] },
      { id: 'wh_c', event_types: ['assessment.*'] },
    ]);
    const route = routeEvent(envelope(), index, NOW, limits);
    expect(route.kind).toBe('jobs');
    if (route.kind !== 'jobs') return;
    const jobs = [...route.jobs()];
    expect(jobs.map((j) => j.webhookId)).toEqual(['wh_a', 'wh_b']);
    const decoded = jobs.map((j) => decodeJob(j.value));
    expect(decoded.map((j) => [j.webhook_id, j.attempt, j.due_at, j.event_id])).toEqual([
      ['wh_a', 1, NOW, 'evt_1'],
      ['wh_b', 1, NOW, 'evt_1'],
    ]);
    expect(JSON.parse(decoded[0]!.body)).toEqual(envelope());
  });

  it('says unmatched when no webhook of the environment wants the event', () => {
    const { index } = liveIndex([{ id: 'wh_a', environment: 'staging' }]);
    expect(routeEvent(envelope(), index, NOW, limits).kind).toBe('unmatched');
    expect(routeEvent(envelope(), WebhookIndex.EMPTY, NOW, limits).kind).toBe('unmatched');
  });

  it('applies payload filters: a filtered-out webhook gets no job, the rest are marked filter_applied', () => {
    const { index, filters } = liveIndex([
      { id: 'wh_a', filter: '{"data.vendor_id":"v_1"}' },
      { id: 'wh_b', filter: '{"data.vendor_id":"v_2"}' },
      { id: 'wh_c' },
    ]);
    const route = routeEvent(envelope(), index, NOW, limits, { filters });
    expect(route.kind).toBe('jobs');
    if (route.kind !== 'jobs') return;
    expect(route.filtered).toBe(1);
    const jobs = [...route.jobs()].map((j) => decodeJob(j.value));
    expect(jobs.map((j) => [j.webhook_id, j.filter_applied ?? false])).toEqual([
      ['wh_a', true],
      ['wh_c', false],
    ]);
    const none = routeEvent(envelope({ data: { vendor_id: 'v_3' } }), index, NOW, limits, { filters });
    expect(none).toMatchObject({ kind: 'jobs', filtered: 2, webhookIds: ['wh_c'] });
    const only = liveIndex([{ id: 'wh_a', filter: '{"data.vendor_id":"v_9"}' }]);
    expect(routeEvent(envelope(), only.index, NOW, limits, { filters: only.filters })).toEqual({
      kind: 'unmatched',
      filtered: 1,
    });
  });

  it('refuses the whole event with JOB_TOO_LARGE when its job would not fit, before making any job', () => {
    const { index } = liveIndex([{ id: 'wh_a' }, { id: `wh_${'x'.repeat(150)}` }]);
    // ~700 KB of plain text: 700 KB body, fits; the same with quotes escapes to ~1.4 MB.
    const plain = envelope({ data: { text: 'a'.repeat(700_000) } });
    expect(routeEvent(plain, index, NOW, limits).kind).toBe('jobs');
    const quoted = envelope({ data: { text: '"'.repeat(700_000) } });
    const route = routeEvent(quoted, index, NOW, limits);
    expect(route.kind).toBe('too_large');
    if (route.kind !== 'too_large') return;
    expect(route.error.code).toBe('JOB_TOO_LARGE');
    expect(route.error.details).toMatchObject({ reason: 'job_too_large', limit: limits.maxJobBytes });
    expect(route.error.details!.size as number).toBeGreaterThan(2_800_000);
  });

  it('checks the job of the longest webhook id: a job one byte over the limit is refused', () => {
    const long = `wh_${'y'.repeat(100)}`;
    const { index } = liveIndex([{ id: 'wh_a' }, { id: long }]);
    const e = envelope({ data: { text: 'a'.repeat(10_000) } });
    const route = routeEvent(e, index, NOW, { maxJobBytes: 1_000_000 });
    if (route.kind !== 'jobs') throw new Error('expected jobs');
    const sizes = [...route.jobs()].map((j) => j.value.length);
    const largest = Math.max(...sizes);
    expect(sizes[1]).toBe(largest); // the long id's job
    expect(routeEvent(e, index, NOW, { maxJobBytes: largest }).kind).toBe('jobs');
    expect(routeEvent(e, index, NOW, { maxJobBytes: largest - 1 }).kind).toBe('too_large');
  });

  it('derives the documented limits from the tunables table (README, docs/design.md)', () => {
    const t = kafkaTunables();
    expect(t.maxMessageBytes).toBe(1_048_576);
    expect(maxJobBytes(t)).toBe(1_044_480);
    expect(maxJobBytes(t, 900_000)).toBe(895_904); // a topic set lower by an operator wins
    expect(guaranteedBodyBytes({ maxJobBytes: maxJobBytes(t) })).toBe(521_728);
  });

  it('always fits a body of the guaranteed size, even when every character escapes', () => {
    const guaranteed = guaranteedBodyBytes(limits);
    expect(guaranteed).toBe(Math.floor((limits.maxJobBytes - JOB_FIXED_BYTES_MAX) / 2));
    const skeleton = JSON.stringify(envelope({ event_id: `e${'\\'.repeat(199)}`, data: { t: '' } })).length;
    // Quotes in data are `\"` in the body: 2 body bytes that become 4 job bytes.
    const e = envelope({
      event_id: `e${'\\'.repeat(199)}`,
      data: { t: '"'.repeat(Math.floor((guaranteed - skeleton) / 2)) },
    });
    const { index } = liveIndex([{ id: `wh_${'z'.repeat(26)}` }]);
    expect(routeEvent(e, index, NOW, limits).kind).toBe('jobs');
  });
});

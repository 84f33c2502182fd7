import { describe, expect, it } from 'vitest';
import { decodeJob } from '../../../src/core/job.js';
import type { EventDedupe } from '../../../src/mongo/dedupe.js';
import { batchOf, connectionError, envelope, fakeProducer, kafkaMessage, testRouter } from './support.js';

/** A dedupe double: ids in `marked` are "seen"; records every call. */
function fakeDedupe(opts: { failLookups?: boolean; hang?: boolean } = {}) {
  const marked = new Set<string>();
  const calls: string[] = [];
  const dedupe = {
    async seen(ids: readonly string[]) {
      calls.push(`seen ${ids.length}`);
      if (opts.failLookups) throw new Error('MongoDB down');
      if (opts.hang) await new Promise(() => {});
      return new Set(ids.filter((id) => marked.has(id)));
    },
    async markRouted(ids: readonly string[]) {
      calls.push(`mark ${ids.length}`);
      for (const id of ids) marked.add(id);
    },
  } as unknown as EventDedupe;
  return { dedupe, marked, calls };
}

describe('BatchRouter', () => {
  it('routes every valid event, quarantines the rest, and reports the whole batch done', async () => {
    const f = fakeProducer();
    const { batch } = batchOf([
      kafkaMessage(10, envelope({ event_id: 'e1' })),
      kafkaMessage(11, Buffer.from('not json')),
      kafkaMessage(12, envelope({ event_id: 'e2', environment: 'nobody' })),
      kafkaMessage(13, envelope({ event_id: 'e3' })),
    ]);
    const outcome = await testRouter(f, null).handle(batch);
    expect(outcome).toEqual({ last: '13' });
    expect(f.on('deliveries').map((m) => [m.key, decodeJob(m.value as Buffer).event_id])).toEqual([
      ['wh_a', 'e1'],
      ['wh_b', 'e1'],
      ['wh_a', 'e3'],
      ['wh_b', 'e3'],
    ]);
    expect(f.on('invalid').map((m) => m.headers?.['hookstream-error-code'])).toEqual(['UNDECODABLE_EVENT']);
  });

  it('quarantines an event whose job cannot fit with job_too_large and its event id; the next one flows', async () => {
    const f = fakeProducer();
    // Embedded JSON in a string field: every quote escapes again in the job (~1.5 MB job).
    const big = envelope({ event_id: 'big', data: { payload: '{"k":"v"}'.repeat(76_000) } });
    const { batch } = batchOf([kafkaMessage(0, big), kafkaMessage(1, envelope({ event_id: 'small' }))]);
    expect(await testRouter(f, null).handle(batch)).toEqual({ last: '1' });
    const [q] = f.on('invalid');
    expect(q!.headers).toMatchObject({
      'hookstream-error-code': 'JOB_TOO_LARGE',
      'hookstream-error-reason': 'job_too_large',
      'hookstream-event-id': 'big',
      'hookstream-source-offset': '0',
    });
    expect((q!.value as Buffer).length).toBeGreaterThan(980_000); // the event's own bytes, kept
    expect(f.on('deliveries').map((m) => decodeJob(m.value as Buffer).event_id)).toEqual(['small', 'small']);
  });

  it('routes an event once: repeats in the batch and ones already marked are skipped', async () => {
    const f = fakeProducer();
    const d = fakeDedupe();
    d.marked.add('prod/old');
    const { batch } = batchOf([
      kafkaMessage(0, envelope({ event_id: 'new' })),
      kafkaMessage(1, envelope({ event_id: 'old' })),
      kafkaMessage(2, envelope({ event_id: 'new' })),
      kafkaMessage(3, envelope({ event_id: 'new', environment: 'staging' })),
    ]);
    expect(await testRouter(f, d.dedupe).handle(batch)).toEqual({ last: '3' });
    expect(f.on('deliveries').map((m) => decodeJob(m.value as Buffer).event_id)).toEqual(['new', 'new']);
    // One lookup and one write for the whole batch, the write after the jobs were acknowledged.
    expect(d.calls).toEqual(['seen 4', 'mark 2']);
    expect([...d.marked].sort()).toEqual(['prod/new', 'prod/old', 'staging/new']);
  });

  it('marks nothing whose jobs Kafka did not acknowledge, and asks to retry from there', async () => {
    let down = false;
    const f = fakeProducer(() => (down ? connectionError() : null));
    const d = fakeDedupe();
    const r = testRouter(f, d.dedupe);
    down = true;
    const { batch } = batchOf([
      kafkaMessage(5, envelope({ event_id: 'a' })),
      kafkaMessage(6, envelope({ event_id: 'b' })),
    ]);
    expect(await r.handle(batch)).toEqual({ last: null, retryAfterMs: 2_000 });
    expect(d.marked.size).toBe(0);
    down = false;
    expect(await r.handle(batch)).toEqual({ last: '6' });
    expect([...d.marked].sort()).toEqual(['prod/a', 'prod/b']);
  });

  it('routes every copy when deduplication is off', async () => {
    const f = fakeProducer();
    const { batch } = batchOf([kafkaMessage(0, envelope()), kafkaMessage(1, envelope())]);
    expect(await testRouter(f, null).handle(batch)).toEqual({ last: '1' });
    expect(f.on('deliveries')).toHaveLength(4);
  });

  it('routes without deduplication while MongoDB cannot be asked (duplicates, never a loss)', async () => {
    const f = fakeProducer();
    const d = fakeDedupe({ failLookups: true });
    d.marked.add('prod/a');
    const { batch } = batchOf([kafkaMessage(0, envelope({ event_id: 'a' }))]);
    expect(await testRouter(f, d.dedupe).handle(batch)).toEqual({ last: '0' });
    expect(f.on('deliveries')).toHaveLength(2);
  });

  it('goes on without deduplication when MongoDB does not answer within the deadline', async () => {
    const f = fakeProducer();
    const d = fakeDedupe({ hang: true });
    const { batch } = batchOf([kafkaMessage(0, envelope({ event_id: 'a' }))]);
    const r = testRouter(f, d.dedupe);
    expect(await r.handle(batch)).toEqual({ last: '0' });
    expect(f.on('deliveries')).toHaveLength(2);
    // While that lookup still runs, later batches do not start another one.
    expect(await r.handle(batchOf([kafkaMessage(1, envelope({ event_id: 'b' }))]).batch)).toEqual({
      last: '1',
    });
    expect(d.calls).toEqual(['seen 1']);
  });

  it('marks unmatched events too (a completed route), but not quarantined ones', async () => {
    const f = fakeProducer();
    const d = fakeDedupe();
    const big = envelope({ event_id: 'big', data: { text: '"'.repeat(600_000) } });
    const { batch } = batchOf([
      kafkaMessage(0, envelope({ event_id: 'u', environment: 'nobody' })),
      kafkaMessage(1, big),
    ]);
    await testRouter(f, d.dedupe).handle(batch);
    expect([...d.marked]).toEqual(['nobody/u']);
  });

  it('stops early when the partition is no longer active, reporting only what was acknowledged', async () => {
    const f = fakeProducer();
    let calls = 0;
    const { batch } = batchOf(
      [kafkaMessage(0, envelope({ event_id: 'a' })), kafkaMessage(1, envelope({ event_id: 'b' }))],
      { active: () => calls++ < 3 },
    );
    const outcome = await testRouter(f, null).handle(batch);
    expect(outcome).toEqual({ last: '0' });
    expect(f.on('deliveries').map((m) => decodeJob(m.value as Buffer).event_id)).toEqual(['a', 'a']);
  });
});

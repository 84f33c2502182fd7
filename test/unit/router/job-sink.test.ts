import { describe, expect, it } from 'vitest';
import type { HookstreamError } from '../../../src/core/errors.js';
import { JobSink } from '../../../src/router/job-sink.js';
import { brokerError, connectionError, fakeProducer } from './support.js';

const kb = (n: number) => Buffer.alloc(n * 1024, 'a');

function sinkWith(f: ReturnType<typeof fakeProducer>, budgetBytes = 10 * 1024) {
  const quarantined: { offset: string; error: HookstreamError; withValue: boolean }[] = [];
  const sink = new JobSink({
    producer: f.producer,
    budgetBytes,
    heartbeat: async () => {},
    quarantine: (offset, error, withValue) => {
      quarantined.push({ offset, error, withValue });
      return { topic: 'invalid', message: { value: withValue ? Buffer.from(`event ${offset}`) : null } };
    },
  });
  return { sink, quarantined };
}

describe('JobSink', () => {
  it('sends in chunks under the byte budget while records are still being added', async () => {
    const f = fakeProducer();
    const { sink } = sinkWith(f);
    for (let i = 0; i < 10; i++) await sink.add('5', 'deliveries', { key: `wh_${i}`, value: kb(3) });
    // 3 KiB records under a 10 KiB budget: sent three at a time before the event is even done.
    expect(f.requests.map((r) => r[0]!.messages.length)).toEqual([3, 3, 3]);
    expect(sink.ackedThrough).toBeNull();
    sink.eventDone('5');
    await sink.flush();
    expect(f.on('deliveries')).toHaveLength(10);
    expect(sink.ackedThrough).toBe('5');
  });

  it('sends a record larger than the budget on its own', async () => {
    const f = fakeProducer();
    const { sink } = sinkWith(f);
    await sink.add('1', 'deliveries', { value: kb(2) });
    await sink.add('2', 'deliveries', { value: kb(50) });
    expect(f.requests.map((r) => r[0]!.messages.length)).toEqual([1, 1]);
  });

  it('advances the acknowledged prefix only when everything of an event is acknowledged', async () => {
    const f = fakeProducer();
    const { sink } = sinkWith(f);
    sink.eventDone('0'); // nothing to produce (unmatched): done at once
    expect(sink.ackedThrough).toBe('0');
    await sink.add('1', 'deliveries', { value: kb(1) });
    sink.eventDone('1');
    sink.eventDone('2');
    expect(sink.ackedThrough).toBe('0');
    await sink.flush();
    expect(sink.ackedThrough).toBe('2');
  });

  it('isolates a record Kafka refuses for good and quarantines its event; the others go through', async () => {
    const f = fakeProducer((sent) =>
      sent.some((s) => s.messages.some((m) => m.key === 'poison')) ? brokerError('MESSAGE_TOO_LARGE') : null,
    );
    const { sink, quarantined } = sinkWith(f, 100 * 1024);
    await sink.add('1', 'deliveries', { key: 'ok-1', value: kb(1) });
    sink.eventDone('1');
    await sink.add('2', 'deliveries', { key: 'poison', value: kb(1) });
    await sink.add('2', 'deliveries', { key: 'ok-2', value: kb(1) });
    sink.eventDone('2');
    await sink.add('3', 'deliveries', { key: 'ok-3', value: kb(1) });
    sink.eventDone('3');
    await sink.flush();
    expect(f.on('deliveries').map((m) => m.key)).toEqual(['ok-1', 'ok-3']);
    expect(f.on('invalid').map((m) => String(m.value))).toEqual(['event 2']);
    expect(quarantined.map((q) => [q.offset, q.error.code, q.withValue])).toEqual([
      ['2', 'JOB_TOO_LARGE', true],
    ]);
    expect(sink.refused('2')).toBe(true);
    expect(sink.ackedThrough).toBe('3');
    // Later jobs of a refused event are dropped.
    await sink.add('2', 'deliveries', { key: 'ok-late', value: kb(1) });
    await sink.flush();
    expect(f.on('deliveries').map((m) => m.key)).not.toContain('ok-late');
  });

  it('quarantines other refusals as JOB_REFUSED, without the value when even that is refused', async () => {
    const f = fakeProducer((sent) => {
      if (sent.some((s) => s.topic === 'deliveries')) return brokerError('INVALID_RECORD');
      return sent.some((s) => s.messages.some((m) => m.value !== null))
        ? brokerError('MESSAGE_TOO_LARGE')
        : null;
    });
    const { sink, quarantined } = sinkWith(f);
    await sink.add('7', 'deliveries', { value: kb(1) });
    sink.eventDone('7');
    await sink.flush();
    expect(quarantined.map((q) => [q.error.code, q.error.details?.reason, q.withValue])).toEqual([
      ['JOB_REFUSED', 'invalid_record', true],
      ['JOB_REFUSED', 'invalid_record', false],
    ]);
    expect(f.on('invalid')).toEqual([{ value: null }]);
    expect(sink.ackedThrough).toBe('7');
  });

  it('moves on when even the headers-only quarantine record is refused, saying so', async () => {
    const f = fakeProducer(() => brokerError('INVALID_RECORD'));
    const lost: string[] = [];
    const sink = new JobSink({
      producer: f.producer,
      budgetBytes: 10 * 1024,
      heartbeat: async () => {},
      quarantine: () => ({ topic: 'invalid', message: { value: null } }),
      onUnquarantinable: (offset, kafkaError) => lost.push(`${offset} ${kafkaError}`),
    });
    await sink.add('4', 'deliveries', { value: kb(1) });
    sink.eventDone('4');
    await sink.flush();
    expect(lost).toEqual(['4 INVALID_RECORD']);
    expect(sink.ackedThrough).toBe('4');
  });

  it('throws a retriable failure and keeps the prefix acknowledged before it', async () => {
    let down = false;
    const f = fakeProducer(() => (down ? connectionError() : null));
    const { sink, quarantined } = sinkWith(f);
    await sink.add('1', 'deliveries', { value: kb(1) });
    sink.eventDone('1');
    await sink.flush();
    down = true;
    await sink.add('2', 'deliveries', { value: kb(1) });
    sink.eventDone('2');
    await expect(sink.flush()).rejects.toThrow(/ECONNREFUSED/);
    expect(sink.ackedThrough).toBe('1');
    expect(quarantined).toEqual([]);
  });
});

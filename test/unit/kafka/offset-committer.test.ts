import { describe, expect, it } from 'vitest';
import { OffsetCommitter, type TopicPartitionOffset } from '../../../src/kafka/offset-committer.js';

/** A fake OffsetCommit: records each request and completes when the test says so. */
function fakeSend() {
  const requests: TopicPartitionOffset[][] = [];
  const pending: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  const send = (offsets: TopicPartitionOffset[]) => {
    requests.push(offsets);
    return new Promise<void>((resolve, reject) => pending.push({ resolve, reject }));
  };
  return { send, requests, pending };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('OffsetCommitter', () => {
  it('sends the commits of one turn in one request, and later ones together in the next', async () => {
    const f = fakeSend();
    const c = new OffsetCommitter(f.send);
    const settled: string[] = [];
    const p0 = c.commit('t', 0, '10').then(() => settled.push('p0'));
    const p1 = c.commit('t', 1, '20').then(() => settled.push('p1'));
    await tick();
    expect(f.requests).toEqual([
      [
        { topic: 't', partition: 0, offset: '10' },
        { topic: 't', partition: 1, offset: '20' },
      ],
    ]);
    // Arriving while that request is in flight: they wait for the next one.
    const p2 = c.commit('t', 2, '30').then(() => settled.push('p2'));
    const p0again = c.commit('t', 0, '11').then(() => settled.push('p0 again'));
    await tick();
    expect(f.requests).toHaveLength(1);
    f.pending[0]!.resolve();
    await Promise.all([p0, p1]);
    await tick();
    expect(settled).toEqual(['p0', 'p1']);
    expect(f.requests[1]).toEqual([
      { topic: 't', partition: 2, offset: '30' },
      { topic: 't', partition: 0, offset: '11' },
    ]);
    f.pending[1]!.resolve();
    await Promise.all([p2, p0again]);
    expect(f.requests).toHaveLength(2);
  });

  it('commits the highest offset queued for a partition', async () => {
    const f = fakeSend();
    const c = new OffsetCommitter(f.send);
    const all = [c.commit('t', 3, '7'), c.commit('t', 3, '9'), c.commit('t', 3, '8')];
    await tick();
    expect(f.requests).toEqual([[{ topic: 't', partition: 3, offset: '9' }]]);
    f.pending[0]!.resolve();
    await Promise.all(all);
  });

  it('rejects every caller of a failed request, and keeps working afterwards', async () => {
    const f = fakeSend();
    const c = new OffsetCommitter(f.send);
    const failing = c.commit('t', 0, '1');
    await tick();
    f.pending[0]!.reject(new Error('REBALANCE_IN_PROGRESS'));
    await expect(failing).rejects.toThrow('REBALANCE_IN_PROGRESS');
    const next = c.commit('t', 0, '1');
    await tick();
    expect(f.requests).toHaveLength(2);
    f.pending[1]!.resolve();
    await expect(next).resolves.toBeUndefined();
  });
});

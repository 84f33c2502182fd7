import { describe, expect, it } from 'vitest';
import { onAbort } from '../../../src/core/abort.js';

describe('onAbort', () => {
  it('calls every waiter once with the reason, and not those that left', () => {
    const c = new AbortController();
    const seen: unknown[] = [];
    onAbort(c.signal, (r) => seen.push(['a', r]));
    const leave = onAbort(c.signal, (r) => seen.push(['b', r]));
    onAbort(c.signal, (r) => seen.push(['c', r]));
    leave();
    c.abort('stop');
    c.abort('again');
    expect(seen).toEqual([
      ['a', 'stop'],
      ['c', 'stop'],
    ]);
  });

  it('calls at once for a signal already aborted', () => {
    const c = new AbortController();
    c.abort('done');
    let reason: unknown;
    onAbort(c.signal, (r) => (reason = r))();
    expect(reason).toBe('done');
  });

  it('adds one listener to the signal however many wait', () => {
    const c = new AbortController();
    let added = 0;
    const original = c.signal.addEventListener.bind(c.signal);
    c.signal.addEventListener = ((...args: Parameters<typeof original>) => {
      added++;
      return original(...args);
    }) as typeof c.signal.addEventListener;
    const forgets = Array.from({ length: 10_000 }, () => onAbort(c.signal, () => {}));
    for (const f of forgets) f();
    expect(added).toBe(1);
  });
});

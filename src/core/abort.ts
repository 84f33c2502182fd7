/**
 * Waiting on a long-lived AbortSignal from many places at once. `addEventListener` on one signal
 * walks its listener list (duplicate check), so thousands of jobs each adding and removing their
 * own listener cost O(n²) — the sender's profile showed it as its largest CPU item. Here a signal
 * gets one listener, and callers join a Set: O(1) to join and to leave.
 */
const callbacks = new WeakMap<AbortSignal, Set<(reason: unknown) => void>>();

/** Calls `cb` once when `signal` aborts (at once if it has); returns the function that forgets it. */
export function onAbort(signal: AbortSignal, cb: (reason: unknown) => void): () => void {
  if (signal.aborted) {
    cb(signal.reason);
    return () => {};
  }
  let set = callbacks.get(signal);
  if (!set) {
    const waiting = new Set<(reason: unknown) => void>();
    set = waiting;
    callbacks.set(signal, waiting);
    signal.addEventListener(
      'abort',
      () => {
        for (const f of [...waiting]) f(signal.reason);
        waiting.clear();
      },
      { once: true },
    );
  }
  set.add(cb);
  const joined = set;
  return () => void joined.delete(cb);
}

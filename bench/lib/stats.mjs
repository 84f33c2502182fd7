/** Small statistics helpers: percentiles from sorted arrays, sustained rates, time buckets. */

/** The q-quantile (0…1) of an ascending-sorted numeric array (nearest rank); null when empty. */
export function quantile(sorted, q) {
  if (sorted.length === 0) return null;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i];
}

/** p50/p95/p99/max of unsorted samples, milliseconds rounded to 0.1. */
export function percentiles(samples) {
  const sorted = Float64Array.from(samples).sort();
  const r = (v) => (v === null ? null : Math.round(v * 10) / 10);
  return {
    count: sorted.length,
    p50: r(quantile(sorted, 0.5)),
    p95: r(quantile(sorted, 0.95)),
    p99: r(quantile(sorted, 0.99)),
    max: r(sorted.length ? sorted[sorted.length - 1] : null),
  };
}

/**
 * Sustained rate of events whose times (epoch ms, any order) are given: the middle 80 % of them
 * (10th to 90th percentile by count) divided by the time they took. Leaves out the start-up
 * (consumer group joins) and the tail (last partitions draining). Events per second.
 */
export function sustainedRate(times) {
  if (times.length < 20) return null;
  const sorted = Float64Array.from(times).sort();
  const lo = Math.floor(sorted.length * 0.1);
  const hi = Math.floor(sorted.length * 0.9);
  const spanMs = sorted[hi] - sorted[lo];
  if (spanMs <= 0) return null;
  return ((hi - lo) / spanMs) * 1000;
}

/** Per-`bucketMs` series from (time, value) samples: count and p50/p99 of the values. */
export function buckets(times, values, bucketMs, origin) {
  let start = origin;
  if (start === undefined) {
    start = Number.POSITIVE_INFINITY;
    for (const t of times) if (t < start) start = t;
  }
  const map = new Map();
  for (let i = 0; i < times.length; i++) {
    const b = Math.floor((times[i] - start) / bucketMs);
    if (!map.has(b)) map.set(b, []);
    map.get(b).push(values ? values[i] : 0);
  }
  const out = [];
  const last = map.size ? Math.max(...map.keys()) : -1;
  for (let b = 0; b <= last; b++) {
    const arr = map.get(b) ?? [];
    const sorted = Float64Array.from(arr).sort();
    out.push({
      t: (b * bucketMs) / 1000,
      count: arr.length,
      p50: values ? quantile(sorted, 0.5) : null,
      p99: values ? quantile(sorted, 0.99) : null,
    });
  }
  return out;
}

export const round = (v, digits = 0) => (v === null || v === undefined ? null : Number(v.toFixed(digits)));

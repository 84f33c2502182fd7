// A line chart drawn as SVG (no library): one polyline per series over equal time buckets,
// a y axis from 0 to a round maximum, x labels every 15 buckets. Colours come from CSS classes.
import { s } from './dom.js';

const W = 640;
const H = 220;
const PAD = { left: 44, right: 12, top: 12, bottom: 28 };

function niceMax(v) {
  if (v <= 5) return 5;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

/**
 * series: [{ name, cls, values: number[] }] (same length); labels: string per bucket.
 * Returns an <svg role="img"> whose label summarises every series.
 */
export function lineChart({ title, series, labels, summary }) {
  const n = labels.length;
  const max = niceMax(Math.max(0, ...series.flatMap((x) => x.values)));
  const iw = W - PAD.left - PAD.right;
  const ih = H - PAD.top - PAD.bottom;
  const x = (i) => PAD.left + (n <= 1 ? 0 : (i / (n - 1)) * iw);
  const y = (v) => PAD.top + ih - (v / max) * ih;
  const grid = [0, 0.5, 1].map((f) => {
    const v = max * f;
    return [
      s('line', { class: 'grid-line', x1: PAD.left, x2: W - PAD.right, y1: y(v), y2: y(v) }),
      s(
        'text',
        { class: 'axis', x: PAD.left - 6, y: y(v) + 4, 'text-anchor': 'end' },
        Number.isInteger(v) ? String(v) : v.toFixed(1),
      ),
    ];
  });
  const ticks = labels.map((label, i) =>
    i % 15 === 0 || i === n - 1
      ? s('text', { class: 'axis', x: x(i), y: H - 8, 'text-anchor': i === n - 1 ? 'end' : 'middle' }, label)
      : null,
  );
  const lines = series.map((ser) =>
    s('polyline', {
      class: `series ${ser.cls}`,
      points: ser.values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' '),
    }),
  );
  return s(
    'svg',
    {
      class: 'chart',
      viewBox: `0 0 ${W} ${H}`,
      role: 'img',
      'aria-label': summary,
      preserveAspectRatio: 'xMidYMid meet',
    },
    s('title', {}, title),
    grid,
    s('line', { class: 'axis-line', x1: PAD.left, x2: PAD.left, y1: PAD.top, y2: PAD.top + ih }),
    ticks,
    lines,
  );
}

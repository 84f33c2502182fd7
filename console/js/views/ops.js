// Operations: consumer lag and overdue seconds per tier (measured now), attempt and dead-letter
// rates, and a chart of the last hour. Both readings need the admin key (they span environments).
import { api } from '../api.js';
import { lineChart } from '../chart.js';
import { h, loading, percent, replace, row, table, time } from '../dom.js';

const LAG_COLUMNS = ['Stage', 'Topic', 'Group', 'Partitions', 'Lag (messages)', 'Overdue'];

function overdue(sec) {
  if (sec === null) return h('span.muted', {}, 'n/a (events)');
  if (sec === 0) return '0 s';
  return h('strong.warn', {}, sec < 90 ? `${sec.toFixed(1)} s` : `${Math.round(sec / 60)} min`);
}

async function lagSection(box) {
  await loading(
    box,
    'Measuring consumer lag (reads Kafka; the first reading takes a few seconds)…',
    async () => {
      const r = await api('GET', '/v1/ops/lag');
      const rows = r.stages.map((st) =>
        row(
          LAG_COLUMNS,
          [
            h('strong', {}, st.stage),
            h('code', {}, st.topic),
            h('code.muted', {}, st.group),
            String(st.partitions),
            String(st.lag),
            overdue(st.overdue_seconds),
          ],
          { 'data-stage': st.stage },
        ),
      );
      replace(
        box,
        rows.length === 0
          ? h('p.empty', {}, 'No hookstream topic exists yet: run hookstream topics create.')
          : h('div.table-wrap', {}, table(null, LAG_COLUMNS, rows, 'lag')),
        h(
          'p.muted.small',
          {},
          `Measured ${time(r.measured_at)}. Lag on a retry tier is expected (jobs wait there until due); overdue time is not.`,
        ),
      );
    },
  );
}

function tile(label, value, detail) {
  return h(
    'div.tile',
    {},
    h('span.tile-label', {}, label),
    h('span.tile-value', {}, value),
    detail ? h('span.muted.small', {}, detail) : null,
  );
}

function counts(caption, obj) {
  const entries = Object.entries(obj).sort((a, b) => b[1] - a[1]);
  if (entries.length === 0) return null;
  return table(
    caption,
    ['', 'Attempts'],
    entries.map(([k, v]) => row(['', 'Attempts'], [k, String(v)])),
    'counts',
  );
}

async function ratesSection(box) {
  await loading(box, 'Reading attempt rates…', async () => {
    const r = await api('GET', '/v1/ops/rates?minutes=60');
    const t = r.totals;
    const minutes = r.buckets.length;
    const labels = r.buckets.map((b) => time(b.start).slice(11, 16));
    const chart = lineChart({
      title: 'Attempts, failures and dead letters per minute, last hour',
      labels,
      series: [
        { name: 'attempts', cls: 's-attempts', values: r.buckets.map((b) => b.attempts) },
        { name: 'failed attempts', cls: 's-failures', values: r.buckets.map((b) => b.failures) },
        { name: 'dead-lettered', cls: 's-dead', values: r.buckets.map((b) => b.dead_lettered) },
      ],
      summary: `Last ${minutes} minutes: ${t.attempts} attempts, ${t.failures} failed, ${t.dead_lettered} dead-lettered.`,
    });
    const legend = h(
      'ul.legend',
      {},
      h('li.s-attempts', {}, 'attempts'),
      h('li.s-failures', {}, 'failed attempts'),
      h('li.s-dead', {}, 'dead-lettered'),
    );
    replace(
      box,
      h(
        'div.tiles',
        {},
        tile('Attempts / min', (t.attempts / minutes).toFixed(1), `${t.attempts} in the last hour`),
        tile(
          'Failed attempts',
          percent(t.attempts === 0 ? null : t.failures / t.attempts),
          `${t.failures} not 2xx`,
        ),
        tile(
          'Dead letters / min',
          (t.dead_lettered / minutes).toFixed(2),
          `${t.dead_lettered} in the last hour`,
        ),
      ),
      h('figure.chart-box', {}, chart, h('figcaption', {}, legend)),
      t.attempts === 0 ? h('p.empty', {}, 'No attempt in the last hour.') : null,
      h('div.columns', {}, counts('By outcome', t.by_outcome), counts('By tier', t.by_tier)),
      r.truncated
        ? h('p.notice.bad', {}, 'More attempts than one reading holds: the counts are a lower bound.')
        : null,
      h('p.muted.small', {}, `From the delivery records, ${time(r.since)} – ${time(r.until)}.`),
    );
  });
}

export async function renderOps(main, ctx) {
  const title = h('h1', { tabindex: '-1' }, 'Operations');
  if (ctx.principal.kind !== 'admin') {
    replace(
      main,
      title,
      h(
        'p.empty',
        {},
        'Consumer lag and rates span every environment: sign in with the admin key to see them.',
      ),
    );
    return;
  }
  const lagBox = h('div');
  const ratesBox = h('div');
  const again = h('button.secondary', { type: 'button' }, 'Refresh');
  again.addEventListener('click', () => void Promise.all([lagSection(lagBox), ratesSection(ratesBox)]));
  replace(
    main,
    h('div.title-row', {}, title, again),
    h(
      'section.card',
      { 'aria-labelledby': 'lag-title' },
      h('h2', { id: 'lag-title' }, 'Consumer lag per tier'),
      lagBox,
    ),
    h(
      'section.card',
      { 'aria-labelledby': 'rates-title' },
      h('h2', { id: 'rates-title' }, 'Attempt and dead-letter rates'),
      ratesBox,
    ),
  );
  await Promise.all([lagSection(lagBox), ratesSection(ratesBox)]);
}

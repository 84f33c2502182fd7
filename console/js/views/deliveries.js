// The delivery log of one webhook: filters (status, event type, time), pages of 20 newest first,
// each delivery with its attempts; retry one; after an action it refreshes until nothing is pending.
import { api, enc } from '../api.js';
import { badge, errorBox, h, relative, replace, row, table, time } from '../dom.js';

const PAGE = 20;
const COLUMNS = ['Created', 'Event type', 'Status', 'Attempts', 'Next attempt', 'Delivery', ''];
const ATTEMPT_COLUMNS = ['#', 'Time', 'Tier', 'Outcome', 'Status code', 'Latency', 'Error', 'Response'];
/** While watching: refresh every WATCH_MS, for at most WATCH_FOR_MS. */
const WATCH_MS = 2_000;
const WATCH_FOR_MS = 60_000;

function attemptsTable(d) {
  if (d.attempts.length === 0) return h('p.muted', {}, 'No attempt recorded yet.');
  return table(
    `Attempts of ${d.id}`,
    ATTEMPT_COLUMNS,
    d.attempts.map((a) =>
      row(
        ATTEMPT_COLUMNS,
        [
          String(a.attempt),
          time(a.at),
          a.tier,
          badge(a.outcome === 'success' ? 'succeeded' : 'failed', a.outcome),
          a.status_code === null ? '—' : String(a.status_code),
          `${Math.round(a.latency_ms)} ms`,
          a.error ?? '—',
          a.response_excerpt ? h('code', {}, a.response_excerpt) : h('span.muted', {}, 'not stored'),
        ],
        { 'data-attempt': String(a.attempt) },
      ),
    ),
    'attempts',
  );
}

export async function renderDeliveries(box, { path, env, eventTypes, say }) {
  const expanded = new Set();
  const cursors = [undefined];
  let watchUntil = 0;
  let timer = null;
  let firstLoad = true;

  const field = (id, label, control) => h('div.field', {}, h('label', { for: id }, label), control);
  const status = h(
    'select',
    { id: 'f-status', name: 'status' },
    ['', 'pending', 'succeeded', 'retrying', 'failed'].map((s) => h('option', { value: s }, s || 'any')),
  );
  const type = h(
    'select',
    { id: 'f-type', name: 'event_type' },
    h('option', { value: '' }, 'any'),
    eventTypes.map((t) => h('option', { value: t }, t)),
  );
  const since = h('input', { id: 'f-since', type: 'datetime-local', name: 'since' });
  const until = h('input', { id: 'f-until', type: 'datetime-local', name: 'until' });
  const filters = h(
    'form.filters',
    { method: 'post', 'aria-label': 'Filter deliveries' },
    field('f-status', 'Status', status),
    field('f-type', 'Event type', type),
    field('f-since', 'Created from', since),
    field('f-until', 'Created before', until),
    h(
      'div.field.buttons',
      {},
      h('button', { type: 'submit' }, 'Apply'),
      h('button.secondary', { type: 'button', id: 'refresh-log', onclick: () => void refresh() }, 'Refresh'),
    ),
  );
  const results = h('div.results', { 'aria-live': 'polite' });
  const pager = h('nav.pager', { 'aria-label': 'Delivery pages' });
  replace(box, h('h2', { id: 'log-title' }, 'Delivery log'), filters, results, pager);

  filters.addEventListener('submit', (e) => {
    e.preventDefault();
    cursors.length = 1;
    void refresh();
  });

  function query() {
    const q = new URLSearchParams({ limit: String(PAGE) });
    if (status.value) q.set('status', status.value);
    if (type.value) q.set('event_type', type.value);
    if (since.value) q.set('since', new Date(since.value).toISOString());
    if (until.value) q.set('until', new Date(until.value).toISOString());
    const cursor = cursors.at(-1);
    if (cursor) q.set('cursor', cursor);
    return q.toString();
  }

  function deliveryRows(d) {
    const open = expanded.has(d.id);
    const toggle = h(
      'button.link',
      {
        type: 'button',
        'aria-expanded': String(open),
        'aria-controls': `att-${d.id}`,
        'data-focus': `toggle-${d.id}`,
      },
      open ? 'Hide attempts' : 'Show attempts',
    );
    toggle.addEventListener('click', () => {
      if (expanded.has(d.id)) expanded.delete(d.id);
      else expanded.add(d.id);
      void refresh();
    });
    const retry = h(
      'button.secondary.small',
      { type: 'button', disabled: d.status === 'pending', 'aria-label': `Retry delivery ${d.id}` },
      'Retry',
    );
    retry.addEventListener('click', async () => {
      retry.disabled = true;
      try {
        const r = await api('POST', `/v1/environments/${enc(env)}/deliveries/${enc(d.id)}/retry`);
        expanded.add(d.id);
        watch();
        say(`Delivery ${r.delivery_id} queued again: attempt ${r.attempt} is on its way.`);
      } catch (err) {
        say(err.message, 'bad');
        retry.disabled = false;
      }
    });
    const main = row(
      COLUMNS,
      [
        time(d.created_at),
        d.event_type,
        h('span', {}, badge(d.status), d.failure_reason ? h('span.why', {}, ` ${d.failure_reason}`) : null),
        String(d.attempt_count),
        d.next_attempt_at && d.status !== 'succeeded'
          ? h('span', { title: time(d.next_attempt_at) }, relative(d.next_attempt_at))
          : '—',
        h('span.stack', {}, h('code', {}, d.id), h('code.muted', {}, d.event_id)),
        h('span.inline', {}, toggle, retry),
      ],
      { 'data-delivery': d.id, 'data-status': d.status },
    );
    const detail = h(
      'tr.detail',
      { id: `att-${d.id}`, hidden: !open },
      h('td', { colspan: String(COLUMNS.length) }, open ? attemptsTable(d) : null),
    );
    return [main, detail];
  }

  async function refresh() {
    clearTimeout(timer);
    if (!box.isConnected) return;
    if (results.childElementCount === 0)
      replace(results, h('p.state', { role: 'status' }, 'Loading deliveries…'));
    // Re-rendering replaces the rows: keep the keyboard focus on the same control.
    const focused = document.activeElement?.getAttribute('data-focus');
    let page;
    try {
      page = await api('GET', `${path}/deliveries?${query()}`);
    } catch (err) {
      replace(
        results,
        errorBox(err, () => void refresh()),
      );
      return;
    }
    // The newest delivery opens with its attempts on the first load: what an operator looks for first.
    if (firstLoad && page.data.length > 0) expanded.add(page.data[0].id);
    firstLoad = false;
    if (page.data.length === 0) {
      replace(
        results,
        h(
          'p.empty',
          {},
          cursors.length > 1 ? 'No more deliveries.' : 'No deliveries match these filters yet.',
        ),
      );
    } else {
      replace(
        results,
        h('div.table-wrap', {}, table(null, COLUMNS, page.data.flatMap(deliveryRows), 'deliveries')),
      );
    }
    const newer = h('button.secondary', { type: 'button', disabled: cursors.length === 1 }, '← Newer');
    newer.addEventListener('click', () => {
      cursors.pop();
      void refresh();
    });
    const older = h('button.secondary', { type: 'button', disabled: page.next_cursor === null }, 'Older →');
    older.addEventListener('click', () => {
      cursors.push(page.next_cursor);
      void refresh();
    });
    replace(pager, newer, h('span.muted', {}, ` page ${cursors.length} `), older);
    if (focused) results.querySelector(`[data-focus="${CSS.escape(focused)}"]`)?.focus();
    const busy = page.data.some((d) => d.status === 'pending');
    if (Date.now() < watchUntil && (busy || Date.now() < watchUntil - WATCH_FOR_MS + 10_000)) {
      timer = setTimeout(() => void refresh(), WATCH_MS);
    }
  }

  function watch() {
    watchUntil = Date.now() + WATCH_FOR_MS;
    void refresh();
  }

  await refresh();
  return { refresh, watch };
}

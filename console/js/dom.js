// Building DOM nodes without innerHTML: every value from the API lands as text, never as markup.

/** h('tag.class', {attrs, onclick: fn}, ...children) — children: nodes, strings, numbers, arrays, null. */
export function h(spec, attrs = {}, ...children) {
  const [tag, ...classes] = spec.split('.');
  const el = document.createElement(tag || 'div');
  if (classes.length > 0) el.className = classes.join(' ');
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

export function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

function setAttrs(el, attrs) {
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') el.addEventListener(name.slice(2), value);
    else el.setAttribute(name, value === true ? '' : String(value));
  }
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** A loading line (role=status), shown while `work` runs; errors become an alert with a Retry button. */
export async function loading(container, message, work) {
  replace(container, h('p.state', { role: 'status' }, message));
  try {
    await work();
  } catch (err) {
    replace(
      container,
      errorBox(err, () => loading(container, message, work)),
    );
  }
}

export function errorBox(err, retry) {
  return h(
    'div.error',
    { role: 'alert' },
    h('p', {}, err?.message ?? String(err)),
    retry ? h('button', { type: 'button', onclick: retry }, 'Try again') : null,
  );
}

export function notice(container, text, kind = 'ok') {
  replace(
    container,
    text ? h(`p.notice.${kind}`, { role: kind === 'bad' ? 'alert' : 'status' }, text) : null,
  );
}

const pad = (n) => String(n).padStart(2, '0');

/** Local time, to the second: 2026-12-07 14:03:09. */
export function time(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** "in 4 min", "12 s ago". */
export function relative(iso, now = Date.now()) {
  if (!iso) return '—';
  const s = Math.round((new Date(iso).getTime() - now) / 1000);
  const abs = Math.abs(s);
  const text =
    abs < 90 ? `${abs} s` : abs < 5400 ? `${Math.round(abs / 60)} min` : `${Math.round(abs / 3600)} h`;
  return s >= 0 ? `in ${text}` : `${text} ago`;
}

export function percent(rate) {
  return rate === null || rate === undefined ? '—' : `${(rate * 100).toFixed(rate === 1 ? 0 : 1)} %`;
}

/** The value of a datetime-local input for a Date (local time, minutes). */
export function toLocalInput(d) {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** A status word as a badge: succeeded, failed, retrying, pending, enabled, disabled. */
export function badge(word, label = word) {
  return h(`span.badge.b-${word ?? 'none'}`, {}, label ?? '—');
}

/** Turns a table cell list into a row whose cells carry their column name (for the narrow layout). */
export function row(columns, cells, attrs = {}) {
  return h(
    'tr',
    attrs,
    cells.map((c, i) => h('td', { 'data-label': columns[i] }, c)),
  );
}

export function table(caption, columns, rows, cls = '') {
  return h(
    `table.grid${cls ? `.${cls}` : ''}`,
    {},
    caption ? h('caption', {}, caption) : null,
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        columns.map((c) => h('th', { scope: 'col' }, c)),
      ),
    ),
    h('tbody', {}, rows),
  );
}

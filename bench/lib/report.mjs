/** Benchmark results → Markdown table, SVG chart and a console summary. */

const fmt = (v, digits = 0) =>
  v === null || v === undefined || Number.isNaN(v)
    ? '–'
    : Number(v).toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const ratio = (v) => (v === null || v === undefined ? '–' : `${fmt(v, v < 10 ? 2 : 1)}×`);
const pct = (v) => (v === null || v === undefined ? '–' : `${fmt(v * 100)} %`);
const mark = (ok) => (ok === null || ok === undefined ? '–' : ok ? 'met' : 'MISSED');
const ok = (s, key) => s && !s.error && s[key] !== null && s[key] !== undefined;

/** [target, measured, met?] for each of the issue's targets. */
export function targetRows(r) {
  const { a, b, c, d } = r.scenarios;
  const rss = [a, d].filter((x) => ok(x, 'rss_mb'));
  const peak = rss.length ? Math.max(...rss.map((x) => x.rss_mb)) : null;
  return [
    [
      'First-attempt throughput ≥ 25 % of the undici ceiling (a)',
      pct(a?.ratio_to_ceiling),
      ok(a, 'ratio_to_ceiling') ? a.ratio_to_ceiling >= 0.25 : null,
    ],
    [
      "First-attempt throughput ≥ 3× today's sender, same run (a)",
      ratio(a?.ratio_to_today),
      ok(a, 'ratio_to_today') ? a.ratio_to_today >= 3 : null,
    ],
    [
      'p99 event → received ≤ 100 ms at a fixed 1,000 deliveries/s (b)',
      ok(b, 'p99_ms') ? `${fmt(b.p99_ms)} ms at ${fmt(b.target_rate)}/s` : '–',
      ok(b, 'p99_ms') ? b.p99_ms <= 100 : null,
    ],
    [
      'Healthy throughput with 10 % of webhooks hanging ≥ 90 % of (a) (c)',
      pct(c?.ratio_to_a),
      ok(c, 'ratio_to_a') ? c.ratio_to_a >= 0.9 : null,
    ],
    [
      'Peak RSS ≤ 256 MB per hookstream process in (a) and (d)',
      peak === null ? '–' : `${fmt(peak)} MB`,
      peak === null ? null : peak <= 256,
    ],
  ];
}

function procs(p) {
  if (!p) return '';
  return Object.entries(p)
    .map(([name, v]) => `${name} ${fmt(v.cpuS, 1)} s / ${fmt(v.peakMb)} MB`)
    .join('; ');
}

function services(s) {
  const c = s.services_cpu_s;
  if (!c) return '';
  return `Kafka ${fmt(c.kafka, 1)} s, FerretDB ${fmt(c.ferretdb, 1)} s, receiver ${fmt(c.receiver, 1)} s CPU`;
}

/** "; 1 first attempt failed (network) and went to the 1m tier", or "". */
function failures(x, skip = []) {
  const f = Object.entries(x.first_attempt_failures ?? {}).filter(([k]) => !skip.includes(k));
  if (f.length === 0) return '';
  const total = f.reduce((a, [, v]) => a + v, 0);
  return `; ${fmt(total)} first attempt${total === 1 ? '' : 's'} failed (${f.map(([k, v]) => `${k} ${fmt(v)}`).join(', ')}) and went to the 1m tier`;
}

function row(cells) {
  return `| ${cells.map((c) => (c === undefined || c === null ? '' : String(c))).join(' | ')} |`;
}

export function markdown(r) {
  const s = r.scenarios;
  const m = r.machine;
  const P = r.params;
  const lines = [];
  lines.push(`# hookstream benchmark — ${r.finished_at.slice(0, 16).replace('T', ' ')} UTC`);
  lines.push('');
  lines.push(
    `\`${r.command}\` on ${m.cpus} × ${m.cpu_model}, ${fmt(m.memory_gb, 0)} GB, Node ${m.node}. ` +
      'Kafka, FerretDB, the receiver and hookstream (router and first-attempt sender, one process each) all share the machine. ' +
      `${fmt(P.events)} events of ~1 KB, ${P.webhooks} webhooks (one origin each), fan-out ${P.fanout}, ` +
      `sender window ${P.concurrency}, delivery records \`${P.records}\`, ${P.partitions} partitions, ` +
      `receivers answer after ${P.latency_ms} ms, failure rate ${P.failure_rate}, delivery timeout ${fmt(P.timeout_ms)} ms.` +
      (P.node_args ? ` Node flags: \`${P.node_args}\`.` : '') +
      (Object.keys(P.settings ?? {}).length
        ? ` Settings: ${Object.entries(P.settings)
            .map(([k, v]) => `\`${k}=${v}\``)
            .join(', ')}.`
        : ''),
  );
  lines.push('');
  lines.push(
    row([
      'scenario',
      'deliveries/s',
      'vs ceiling',
      'vs naive',
      'p50 ms',
      'p95 ms',
      'p99 ms',
      'hookstream CPU / peak RSS',
      'others’ CPU',
      'notes',
    ]),
  );
  lines.push('|---|---:|---:|---:|---:|---:|---:|---|---:|---|');
  const noise = (x) => pct(x?.others_cpu_share);
  const failed = (name, x) => row([name, 'FAILED', '', '', '', '', '', '', '', x.error]);
  const addRow = (key, name, cells, notes) => {
    const x = s[key];
    if (!x) return;
    lines.push(x.error ? failed(name, x) : row([name, ...cells(x), noise(x), notes(x)]));
  };
  addRow(
    'ceiling',
    '**ceiling: raw undici → receivers, no Kafka**',
    (x) => [
      fmt(x.per_s),
      '1.00×',
      '',
      '',
      '',
      '',
      `driver ${fmt(x.driver_cpu_s, 1)} s / ${fmt(x.rss_mb)} MB`,
    ],
    (x) => `${fmt(x.deliveries)} requests, same window, bodies and signatures`,
  );
  for (const [key, name] of [
    ['node_http', 'reference: node:http keep-alive agent → receivers'],
    ['got', 'reference: got 14 (as hookstream used it) → receivers'],
  ])
    addRow(
      key,
      name,
      (x) => [fmt(x.per_s), ratio(x.ratio_to_ceiling), '', '', '', '', `driver ${fmt(x.driver_cpu_s, 1)} s`],
      (x) => `${fmt(x.deliveries)} requests`,
    );
  addRow(
    'today',
    "(a) with today's build (`--today`), for reference",
    (x) => [fmt(x.per_s), ratio(x.ratio_to_ceiling), '', '', '', '', procs(x.processes)],
    (x) => `${fmt(x.deliveries)} deliveries; build in ${P.today ?? '–'}`,
  );
  addRow(
    'naive',
    `naive: kafkajs eachMessage, HMAC, sequential got (${P.latency_ms} ms receiver)`,
    (x) => [fmt(x.per_s), ratio(x.ratio_to_ceiling), '1.00×', '', '', '', `${fmt(x.cpu_s, 1)} s`],
    (x) => `${fmt(x.deliveries)} deliveries in ${fmt(x.seconds)} s`,
  );
  addRow(
    'naive0',
    'naive, receiver answering at once (0 ms), for reference',
    (x) => [fmt(x.per_s), ratio(x.ratio_to_ceiling), '', '', '', '', `${fmt(x.cpu_s, 1)} s`],
    (x) => `${fmt(x.deliveries)} deliveries in ${fmt(x.seconds)} s; no records, one Kafka hop`,
  );
  addRow(
    'a',
    '**(a)** healthy receivers, full speed',
    (x) => [
      `**${fmt(x.per_s)}**`,
      ratio(x.ratio_to_ceiling),
      ratio(x.ratio_to_naive),
      '',
      '',
      '',
      procs(x.processes),
    ],
    (x) =>
      `${fmt(x.deliveries)} deliveries, ${fmt(x.cpu_us_per_delivery)} µs hookstream CPU each; ` +
      `${fmt(x.delivery_records)} delivery records, all written ${fmt(x.records_drain_s, 1)} s after the last delivery; ${services(x)}${failures(x)}`,
  );
  addRow(
    'b',
    '**(b)** fixed rate',
    (x) => [
      fmt(x.per_s),
      ratio(x.ratio_to_ceiling),
      '',
      fmt(x.p50_ms),
      fmt(x.p95_ms),
      `**${fmt(x.p99_ms)}**`,
      procs(x.processes),
    ],
    (x) =>
      `${fmt(x.target_rate)} events/s for ${fmt(x.seconds)} s after a ${fmt(x.warmup_s)} s warm-up; max ${fmt(x.max_ms)} ms; created_at → received${failures(x)}`,
  );
  addRow(
    'c',
    `**(c)** ${fmt(s.c?.hanging_webhooks)} of ${P.webhooks} webhooks hang until the timeout`,
    (x) => [`${fmt(x.per_s)} healthy`, ratio(x.ratio_to_ceiling), '', '', '', '', procs(x.processes)],
    (x) =>
      `**${pct(x.ratio_to_a)} of (a)**; ${fmt(x.hanging_requests)} attempts hung (at most ${fmt(x.receiver_max_concurrent)} requests open at once)${failures(x, ['timeout'])}`,
  );
  addRow(
    'd',
    `**(d)** ${fmt(s.d?.backlog)} jobs parked in the 1h tier`,
    () => ['', '', '', '', '', '', procs(s.d.processes)],
    (x) =>
      `RSS ${fmt(x.rss_at_ready_mb)} MB when ready, ${fmt(x.rss_at_end_mb)} MB after ${fmt(x.hold_s)} s, **peak ${fmt(x.rss_mb)} MB**; ` +
      `${fmt(x.paused_partitions)} partitions paused, ${fmt(x.premature_deliveries)} early deliveries`,
  );
  lines.push('');
  lines.push(row(['target', 'measured', '']));
  lines.push('|---|---:|---|');
  for (const [name, value, met] of targetRows(r)) lines.push(row([name, value, mark(met)]));
  lines.push('');
  lines.push(
    `Every request's signature was verified by the receiver: ${fmt(r.bad_signatures)} failed. ` +
      '“Others’ CPU” is the share of the machine used by processes outside the benchmark while the scenario ran (other people’s work on a shared machine): the noise. ' +
      `Chart: [latency and throughput over time](${r.chart}).`,
  );
  lines.push('');
  return lines.join('\n');
}

/**
 * Three panels: end-to-end latency per second in (b); deliveries per second in (a), (c) and
 * naive; the 1h-tier sender's RSS in (d).
 */
export function svg(r) {
  const W = 900;
  const panelH = 190;
  const gap = 70;
  const pad = { l: 70, r: 24, t: 40 };
  const H = pad.t + 3 * panelH + 2 * gap + 40;
  const out = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
  );
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  const panel = (top, title, series, yLabel, yMaxHint) => {
    const x0 = pad.l;
    const x1 = W - pad.r;
    const y0 = top + panelH;
    const y1 = top;
    const xs = series.flatMap((s) => s.points.map((p) => p[0]));
    const ys = series.flatMap((s) => s.points.map((p) => p[1]));
    const xMax = Math.max(1, ...xs);
    const yMax = niceMax(Math.max(1, yMaxHint ?? 0, ...ys));
    const X = (v) => x0 + (v / xMax) * (x1 - x0);
    const Y = (v) => y0 - (Math.min(v, yMax) / yMax) * (y0 - y1);
    out.push(`<text x="${x0}" y="${top - 12}" font-weight="bold">${esc(title)}</text>`);
    for (let k = 0; k <= 4; k++) {
      const v = (yMax * k) / 4;
      out.push(`<line x1="${x0}" y1="${Y(v)}" x2="${x1}" y2="${Y(v)}" stroke="#e4e4e4"/>`);
      out.push(`<text x="${x0 - 6}" y="${Y(v) + 4}" text-anchor="end">${fmt(v)}</text>`);
    }
    out.push(`<line x1="${x0}" y1="${y0}" x2="${x1}" y2="${y0}" stroke="#333"/>`);
    out.push(`<line x1="${x0}" y1="${y0}" x2="${x0}" y2="${y1}" stroke="#333"/>`);
    for (let k = 0; k <= 5; k++) {
      const v = (xMax * k) / 5;
      out.push(`<text x="${X(v).toFixed(1)}" y="${y0 + 16}" text-anchor="middle">${fmt(v, 0)} s</text>`);
    }
    out.push(
      `<text x="18" y="${(y0 + y1) / 2}" transform="rotate(-90 18 ${(y0 + y1) / 2})" text-anchor="middle">${esc(yLabel)}</text>`,
    );
    series.forEach((s, i) => {
      if (s.points.length === 0) return;
      const d = s.points
        .map((p, j) => `${j ? 'L' : 'M'}${X(p[0]).toFixed(1)},${Y(p[1]).toFixed(1)}`)
        .join(' ');
      out.push(
        `<path d="${d}" fill="none" stroke="${s.color}" stroke-width="1.8"${s.dash ? ' stroke-dasharray="5 4"' : ''}/>`,
      );
      out.push(`<rect x="${x1 - 250}" y="${y1 + 6 + i * 16}" width="10" height="10" fill="${s.color}"/>`);
      out.push(`<text x="${x1 - 234}" y="${y1 + 15 + i * 16}">${esc(s.name)}</text>`);
    });
  };
  const b = (r.series?.b ?? []).filter((p) => p.count > 0);
  const bRate = r.scenarios.b?.target_rate;
  panel(
    pad.t,
    `(b) end-to-end latency (created_at → received) at ${fmt(bRate)} deliveries/s, per second`,
    [
      { name: 'p50', color: '#1f77b4', points: b.map((p) => [p.t, p.p50]) },
      { name: 'p99', color: '#d62728', points: b.map((p) => [p.t, p.p99]) },
      {
        name: 'target: p99 ≤ 100 ms',
        color: '#999',
        dash: true,
        points: b.length
          ? [
              [0, 100],
              [b[b.length - 1].t, 100],
            ]
          : [],
      },
    ],
    'ms',
    110,
  );
  panel(
    pad.t + panelH + gap,
    'First-attempt deliveries per second',
    [
      {
        name: '(a) healthy receivers',
        color: '#2ca02c',
        points: (r.series?.a ?? []).map((p) => [p.t, p.count]),
      },
      {
        name: '(c) healthy ones, 10 % hanging',
        color: '#ff7f0e',
        points: (r.series?.c ?? []).map((p) => [p.t, p.count]),
      },
      {
        name: 'naive baseline',
        color: '#7f7f7f',
        points: (r.series?.naive ?? []).map((p) => [p.t, p.count]),
      },
    ],
    'deliveries/s',
  );
  const d = r.scenarios.d?.rss_series ?? [];
  panel(
    pad.t + 2 * (panelH + gap),
    `(d) 1h-tier sender RSS with ${fmt(r.scenarios.d?.backlog)} jobs parked`,
    [
      {
        name: 'RSS',
        color: '#9467bd',
        points: d.filter((p) => p.rss_mb != null).map((p) => [p.t, p.rss_mb]),
      },
      {
        name: 'target: ≤ 256 MB',
        color: '#999',
        dash: true,
        points: d.length
          ? [
              [0, 256],
              [d[d.length - 1].t, 256],
            ]
          : [],
      },
    ],
    'MB',
    280,
  );
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

/** The smallest 4 × step ≥ v with step 1, 2, 2.5 or 5 × a power of ten: four round grid lines. */
function niceMax(v) {
  const raw = v / 4;
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= raw) return 4 * m * p;
  return 40 * p;
}

function esc(s) {
  return String(s).replace(/[<&>]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;' })[c]);
}

export function summary(r) {
  const s = r.scenarios;
  const lines = ['', 'hookstream benchmark', '─'.repeat(72)];
  const line = (key, text) => {
    if (!s[key]) return;
    lines.push(s[key].error ? `${key}: FAILED — ${s[key].error}` : text(s[key]));
  };
  line('ceiling', (x) => `ceiling (raw undici → receiver)  ${fmt(x.per_s).padStart(7)} /s`);
  line(
    'node_http',
    (x) =>
      `node:http → receiver             ${fmt(x.per_s).padStart(7)} /s   ${pct(x.ratio_to_ceiling)} of the ceiling`,
  );
  line(
    'got',
    (x) =>
      `got → receiver                   ${fmt(x.per_s).padStart(7)} /s   ${pct(x.ratio_to_ceiling)} of the ceiling`,
  );
  line(
    'today',
    (x) =>
      `(a) with today's build           ${fmt(x.per_s).padStart(7)} /s   ${pct(x.ratio_to_ceiling)} of the ceiling`,
  );
  line(
    'naive',
    (x) => `naive consumer (${x.receiver_latency_ms} ms receiver)    ${fmt(x.per_s).padStart(7)} /s`,
  );
  line('naive0', (x) => `naive consumer (0 ms receiver)    ${fmt(x.per_s).padStart(7)} /s   (reference)`);
  line(
    'a',
    (x) =>
      `(a) hookstream, full speed       ${fmt(x.per_s).padStart(7)} /s   ${pct(x.ratio_to_ceiling)} of the ceiling, ${ratio(x.ratio_to_today)} today's, ${ratio(x.ratio_to_naive)} naive`,
  );
  line(
    'b',
    (x) =>
      `(b) at ${fmt(x.target_rate)}/s: p50 ${fmt(x.p50_ms)} ms, p95 ${fmt(x.p95_ms)} ms, p99 ${fmt(x.p99_ms)} ms`,
  );
  line(
    'c',
    (x) => `(c) 10 % hanging, healthy        ${fmt(x.per_s).padStart(7)} /s   ${pct(x.ratio_to_a)} of (a)`,
  );
  line('d', (x) => `(d) ${fmt(x.backlog)} parked jobs: sender peak RSS ${fmt(x.rss_mb)} MB`);
  lines.push('─'.repeat(72));
  for (const [name, value, met] of targetRows(r)) lines.push(`${mark(met).padEnd(7)} ${name}: ${value}`);
  const noisy = Object.entries(s).filter(([, x]) => (x.others_cpu_share ?? 0) >= 0.1);
  if (noisy.length) {
    lines.push(
      `noise: other processes used ${noisy.map(([k, x]) => `${pct(x.others_cpu_share)} during ${k}`).join(', ')} of the CPU`,
    );
  }
  lines.push('');
  return lines.join('\n');
}

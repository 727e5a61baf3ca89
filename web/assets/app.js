// flightrec web UI. Plain DOM, no dependencies, nothing from the network
// but this server. Everything that comes from spans is untrusted: it is only
// ever put into the page as text (textContent, SVG text nodes).
'use strict';

const main = document.getElementById('main');
let timer = null;

function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k === 'style') e.style.cssText = v; // CSSOM: allowed by the CSP, unlike style attributes
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const k of kids) e.append(k instanceof Node ? k : document.createTextNode(String(k)));
  return e;
}

const SVG = 'http://www.w3.org/2000/svg';
function sv(tag, attrs, text) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

function ms(x) {
  if (x >= 1000) return (x / 1000).toFixed(2) + ' s';
  if (x >= 10) return x.toFixed(0) + ' ms';
  if (x >= 1) return x.toFixed(1) + ' ms';
  return (x * 1000).toFixed(0) + ' µs';
}
const nsms = (ns) => ms(Number(ns) / 1e6);
function when(unixNanoStr) {
  const d = new Date(Number(BigInt(unixNanoStr) / 1000000n));
  return d.toLocaleString();
}
const KINDS = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'];

async function api(path, opts) {
  const r = await fetch(path, opts);
  const body = r.headers.get('content-type')?.includes('json') ? await r.json() : await r.text();
  if (!r.ok) throw new Error(body && body.error ? body.error : 'HTTP ' + r.status);
  return body;
}

function go(path) {
  history.pushState(null, '', path);
  route();
}
document.addEventListener('click', (ev) => {
  const a = ev.target.closest('a[data-nav]');
  if (a && !ev.metaKey && !ev.ctrlKey) { ev.preventDefault(); go(a.getAttribute('href')); }
});
window.addEventListener('popstate', route);

function route() {
  clearInterval(timer);
  timer = null;
  const p = location.pathname;
  for (const id of ['incidents', 'problems', 'triggers', 'status'])
    document.getElementById('nav-' + id).classList.toggle('active',
      (id === 'incidents' && (p === '/' || p.startsWith('/incidents'))) ||
      (id === 'problems' && p.startsWith('/problems')) || p === '/' + id);
  if (p.startsWith('/incidents/')) return incidentPage(p.slice(11));
  if (p.startsWith('/problems/')) return problemPage(p.slice(10));
  if (p === '/problems') return problemsPage();
  if (p === '/operation') return operationPage();
  if (p === '/triggers') return triggersPage();
  if (p === '/status') return statusPage();
  return incidentsPage();
}

function fail(e) {
  main.replaceChildren(el('p', { class: 'error', text: 'Error: ' + e.message }));
}

// ---------------- an operation's latency over time ----------------

function opHref(service, name) {
  return '/operation?' + new URLSearchParams({ service, name });
}

const hhmm = (ms) => new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });

async function operationPage() {
  const q = new URLSearchParams(location.search);
  const service = q.get('service') || '', name = q.get('name') || '', minutes = q.get('minutes') || '60';
  let r;
  try { r = await api('/api/operations/chart?' + new URLSearchParams({ service, name, minutes })); } catch (e) { return fail(e); }
  const range = el('select', { id: 'range', onchange: () => go(opHref(service, name) + '&minutes=' + range.value) },
    ...['15', '30', '60'].map((m) => el('option', { value: m, text: 'last ' + m + ' min', ...(m === minutes ? { selected: '' } : {}) })));
  const canvas = el('canvas', { id: 'op-chart', width: 1000, height: 380 });
  main.replaceChildren(el('h1', { text: service + ' · ' + name }),
    el('p', { class: 'muted', id: 'op-summary', text: r.points.length + ' spans drawn (a sample of each minute), ' + r.incidents.length +
      ' incidents (red; click one to open it)' + (r.live_p99_ms ? ', live p99 ' + ms(r.live_p99_ms) : '') }),
    el('p', {}, range), canvas);
  if (typeof Chart === 'undefined') return;
  const tmin = Number(r.from_unix_ms), tmax = Date.now();
  const line = (label, key, color) => ({ type: 'line', label, data: r.minutes.map((m) => ({ x: m.t + 30000, y: m[key] })),
    borderColor: color, backgroundColor: color, pointRadius: 0, borderWidth: 2 });
  const datasets = [
    { type: 'scatter', label: 'spans', data: r.points.map(([t, d]) => ({ x: t, y: d })), backgroundColor: 'rgba(100,116,139,0.55)', pointRadius: 2 },
    line('p50', 'p50_ms', '#2563eb'), line('p99', 'p99_ms', '#7c3aed'),
    ...r.thresholds.map((th) => ({ type: 'line', label: 'threshold ' + ms(th.ms), data: [{ x: tmin, y: th.ms }, { x: tmax, y: th.ms }],
      borderColor: '#f59e0b', borderDash: [6, 4], pointRadius: 0, borderWidth: 1.5 })),
    // a p99 rule's threshold is the live p99 of the trigger's window
    ...(r.live_p99_ms ? [{ type: 'line', label: 'live p99 (p99 rules) ' + ms(r.live_p99_ms),
      data: [{ x: tmin, y: r.live_p99_ms }, { x: tmax, y: r.live_p99_ms }],
      borderColor: '#a855f7', borderDash: [2, 3], pointRadius: 0, borderWidth: 1.5 }] : []),
    { type: 'scatter', label: 'incidents', data: r.incidents.map((i) => ({ x: i.t, y: i.duration_ms, id: i.id })),
      backgroundColor: '#dc2626', pointRadius: 6, pointHoverRadius: 8 },
  ];
  const chart = new Chart(canvas, {
    data: { datasets },
    options: {
      responsive: false, animation: false, parsing: false,
      scales: {
        x: { type: 'linear', min: tmin, max: tmax, ticks: { callback: (v) => hhmm(v) }, title: { display: true, text: 'time' } },
        y: { type: 'logarithmic', title: { display: true, text: 'ms' } },
      },
      onClick: (ev, els) => {
        const hit = els.find((e) => datasets[e.datasetIndex].label === 'incidents');
        if (hit) go('/incidents/' + datasets[hit.datasetIndex].data[hit.index].id);
      },
      plugins: { tooltip: { callbacks: { label: (c) => (c.dataset.label === 'incidents' ? 'incident ' : '') + ms(c.parsed.y) + ' at ' + hhmm(c.parsed.x) } } },
    },
  });
  canvas.chart = chart; // for the browser test
}

// ---------------- problems: recurring causes ----------------

function markButtons(p, after) {
  const mark = async (body) => {
    try {
      await api('/api/problems/' + p.signature, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
      after();
    } catch (e) { alert('Error: ' + e.message); }
  };
  return el('span', { class: 'marks' },
    el('button', { class: 'secondary mute', text: p.muted ? 'unmute' : 'mute', onclick: (e) => { e.stopPropagation(); mark({ muted: !p.muted }); } }),
    el('button', { class: 'secondary known', text: p.known ? 'unmark known' : 'mark known', onclick: (e) => { e.stopPropagation(); mark({ known: !p.known }); } }));
}

// Occurrences per hour over the last day, a tiny bar chart (Chart.js).
function occurrences(hours) {
  const c = el('canvas', { class: 'occurrences', width: 120, height: 28 });
  if (typeof Chart === 'undefined') return c;
  c.chart = new Chart(c, {
    type: 'bar',
    data: { labels: hours.map((_, i) => i - 23 + ' h'), datasets: [{ data: hours, backgroundColor: '#f87171' }] },
    options: { responsive: false, animation: false, events: [], plugins: { legend: { display: false }, tooltip: { enabled: false } },
      scales: { x: { display: false }, y: { display: false, beginAtZero: true } } },
  });
  return c;
}

function problemsPage() {
  const all = new URLSearchParams(location.search).get('all') === '1';
  const tbody = el('tbody', { id: 'problem-rows' });
  const note = el('p', { class: 'muted', id: 'problem-count' });
  main.replaceChildren(el('h1', { text: 'Problems' }),
    el('p', { class: 'muted', text: 'Incidents grouped by cause: the operation, the kind of root cause and the resource, with pids, numbers and temporary names left out. The latest first.' }),
    el('p', {}, el('a', { href: all ? '/problems' : '/problems?all=1', 'data-nav': '', text: all ? 'hide muted' : 'show muted too' })),
    note,
    el('table', { id: 'problems' }, el('thead', {}, el('tr', {}, ...['cause', 'operation', 'count', 'first seen', 'last seen', 'slow time', '']
      .map((h, i) => el('th', { class: i === 2 || i === 5 ? 'num' : '', text: h })))), tbody));
  async function load() {
    try {
      const r = await api('/api/problems' + (all ? '?all=1' : ''));
      tbody.replaceChildren(...r.problems.map((p) => el('tr', { class: 'row' + (p.muted ? ' muted' : ''), 'data-signature': p.signature, onclick: () => go('/problems/' + p.signature) },
        el('td', {}, p.known ? el('span', { class: 'tag', text: 'known' }) : '', p.cause || '(no cause)'),
        el('td', { text: p.service + ' · ' + p.name }),
        el('td', { class: 'num count' }, String(p.count), p.hours ? occurrences(p.hours) : ''),
        el('td', { text: when(p.first_unix_nano) }), el('td', { text: when(p.last_unix_nano) }),
        el('td', { class: 'num', text: ms(p.total_ms) }),
        el('td', {}, markButtons(p, load)))));
      note.textContent = r.problems.length ? r.problems.length + ' problem' + (r.problems.length > 1 ? 's' : '')
        : 'No problems yet: incidents are grouped here as they come.';
    } catch (e) { note.textContent = 'Error: ' + e.message; }
  }
  load();
  timer = setInterval(load, 5000);
}

async function problemPage(sig) {
  let r;
  try { r = await api('/api/problems/' + encodeURIComponent(sig)); } catch (e) { return fail(e); }
  const p = r.problem;
  main.replaceChildren(
    el('p', {}, el('a', { href: '/problems', 'data-nav': '', text: '← problems' })),
    el('h1', { text: p.cause || '(no cause)' }),
    el('p', { class: 'muted', id: 'problem-summary', text: p.service + ' · ' + p.name + ': seen ' + p.count + ' time' + (p.count > 1 ? 's' : '') +
      ' since ' + when(p.first_unix_nano) + ', last ' + when(p.last_unix_nano) + '; ' + ms(p.total_ms) + ' of slow spans' +
      (p.known ? '; marked known' : '') + (p.muted ? '; muted' : '') }),
    markButtons(p, () => problemPage(sig)),
    el('h2', { text: 'Its incidents still stored' }),
    el('table', { id: 'problem-incidents' }, el('tbody', {}, ...r.incidents.map((s) =>
      el('tr', { class: 'row', 'data-id': s.id, onclick: () => go('/incidents/' + s.id) },
        el('td', { text: when(s.time_unix_nano) }), el('td', { class: 'num', text: ms(s.duration_ms) }),
        el('td', { text: s.verdict }))))));
}

// ---------------- incidents ----------------

function incidentsPage() {
  const f = { service: '', name: '', min_ms: '' };
  const svc = el('input', { name: 'service', placeholder: 'any', size: 14 });
  const op = el('input', { name: 'name', placeholder: 'any', size: 22 });
  const min = el('input', { name: 'min_ms', placeholder: '0', size: 6, inputmode: 'numeric' });
  const form = el('form', { class: 'filters', id: 'filters', onsubmit: (e) => {
    e.preventDefault(); f.service = svc.value.trim(); f.name = op.value.trim(); f.min_ms = min.value.trim();
    seen.clear(); load(true);
  } },
  el('label', {}, 'service', svc), el('label', {}, 'operation', op), el('label', {}, 'min ms', min),
  el('button', { type: 'submit', text: 'Filter' }));
  const tbody = el('tbody', { id: 'incident-rows' });
  const count = el('p', { class: 'muted', id: 'incident-count' });
  const more = el('button', { class: 'secondary', text: 'Older…', style: 'display:none', onclick: () => load(false) });
  const table = el('table', { id: 'incidents' },
    el('thead', {}, el('tr', {}, ...['time', 'service', 'operation', 'duration', 'threshold broken', 'verdict']
      .map((h, i) => el('th', { class: i === 3 ? 'num' : '', text: h })))), tbody);
  const overTime = el('div', { id: 'incidents-over-time' });
  main.replaceChildren(el('h1', { text: 'Incidents' }),
    el('p', { class: 'muted', text: 'Slow spans flightrec captured, newest first. New ones appear as they come.' }),
    overTime, form, count, table, more);
  // incidents per minute over the last hour, from the newest 500
  async function drawOverTime() {
    try {
      const r = await api('/api/incidents?limit=500');
      const now = Date.now(), buckets = new Map();
      for (let m = 0; m < 60; m++) buckets.set(Math.floor((now - m * 60000) / 60000) * 60000, 0);
      for (const s of r.incidents) {
        const t = Math.floor(Number(BigInt(s.time_unix_nano) / 1000000n) / 60000) * 60000;
        if (buckets.has(t)) buckets.set(t, buckets.get(t) + 1);
      }
      const pts = [...buckets.entries()].map(([x, y]) => ({ x, y })).sort((a, b) => a.x - b.x);
      const c = spark('incidents-chart', 'incidents per minute, the last hour', pts, '#dc2626', true);
      c.width = 760;
      if (c.chart) c.chart.resize(760, 90);
      overTime.replaceChildren(c);
    } catch (e) { /* the list still shows */ }
  }
  drawOverTime();
  const seen = new Set();
  let cursor = null;

  function row(s, fresh) {
    const tr = el('tr', { class: 'row' + (fresh ? ' new' : ''), 'data-id': s.id, onclick: () => go('/incidents/' + s.id) },
      el('td', { text: when(s.time_unix_nano) }), el('td', { text: s.service }),
      el('td', { text: s.name }), el('td', { class: 'num', text: ms(s.duration_ms) }),
      el('td', { text: s.threshold_ms ? ms(s.threshold_ms) + ' (' + s.rule + ')' : s.rule }),
      el('td', { text: s.verdict }));
    return tr;
  }
  async function load(fresh) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(f)) if (v) q.set(k, v);
    if (!fresh && cursor) q.set('cursor', cursor);
    try {
      const r = await api('/api/incidents?' + q);
      if (fresh) { tbody.replaceChildren(); seen.clear(); }
      for (const s of r.incidents) if (!seen.has(s.id)) { seen.add(s.id); tbody.append(row(s, false)); }
      if (fresh || r.next_cursor) cursor = r.next_cursor;
      more.style.display = cursor ? '' : 'none';
      count.textContent = seen.size ? seen.size + ' incident' + (seen.size > 1 ? 's' : '') + ' shown'
        : 'No incidents yet: they appear when a span breaks a trigger rule.';
    } catch (e) { count.textContent = 'Error: ' + e.message; }
  }
  async function poll() {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(f)) if (v) q.set(k, v);
    try {
      const r = await api('/api/incidents?' + q);
      const fresh = r.incidents.filter((s) => !seen.has(s.id));
      for (const s of fresh.reverse()) { seen.add(s.id); tbody.prepend(row(s, true)); }
      if (fresh.length) count.textContent = seen.size + ' incident' + (seen.size > 1 ? 's' : '') + ' shown';
    } catch (e) { /* keep what is shown */ }
  }
  load(true);
  timer = setInterval(poll, 2000);
}

// ---------------- one incident ----------------

// Thread states over the window from the records (switch out, wake-up, switch in).
function lanes(snap) {
  const w = snap.window, r = snap.records;
  const base = BigInt(w.start_mono_ns);
  const pid = w.pid;
  const out = new Map(); // tid -> {segs:[[t0,t1,state]], sys:[[t0,t1,name]]}
  const lane = (tid) => { if (!out.has(tid)) out.set(tid, { segs: [], sys: [], state: null, since: 0 }); return out.get(tid); };
  let t = 0;
  const n = r ? r.type.length : 0;
  for (let i = 0; i < n; i++) {
    t += Number(r.ts_delta[i]);
    const type = r.type[i], tid = r.tid[i];
    if (type === 1 && r.pid[i] === pid) {
      const d = Number(r.a[i]);
      lane(tid).sys.push([t - d, t, SYSCALLS[r.aux[i]] || ('syscall ' + r.aux[i])]);
    } else if (type === 2) {
      if (r.pid[i] === pid) {
        const L = lane(tid);
        if (L.state) L.segs.push([L.since, t, L.state]);
        L.state = (r.flags[i] & 1) ? 'runnable' : 'blocked'; L.since = t;
      }
      if (Number(r.b[i]) === pid) {
        const L = lane(Number(r.a[i]));
        if (L.state) L.segs.push([L.since, t, L.state]);
        else if (t > 0) L.segs.push([0, t, 'runnable']);
        L.state = 'running'; L.since = t;
      }
    } else if (type === 3 && r.pid[i] === pid) {
      const L = lane(tid);
      if (L.state === 'blocked') { L.segs.push([L.since, t, 'blocked']); L.state = 'runnable'; L.since = t; }
    }
  }
  const end = Number(BigInt(w.end_mono_ns) - base);
  for (const L of out.values()) if (L.state) L.segs.push([L.since, end, L.state]);
  return { lanes: out, end, base };
}

const COLORS = { running: '#16a34a', runnable: '#f59e0b', blocked: '#9ca3af' };

function timeline(snap) {
  const { lanes: L, end, base } = lanes(snap);
  const w = snap.window;
  const width = 1100, left = 150, lh = 22, top = 34;
  const order = snap.threads.map((t) => t.tid).filter((t) => L.has(t)).slice(0, 12);
  // the critical path: one lane per task on it, the span's thread first and
  // each waker below the task it woke; hand-offs drawn between the lanes
  const chain = snap.chain || [];
  const pathTids = [];
  for (const g of chain) if (!g.handoff && !pathTids.includes(g.tid) && pathTids.length < 8) pathTids.push(g.tid);
  const pathTop = top, threadsTop = top + (pathTids.length ? pathTids.length * lh + 14 : 0);
  const height = threadsTop + order.length * lh + 20;
  const x = (t) => left + (Math.max(0, Math.min(end, t)) / end) * (width - left - 10);
  const svg = sv('svg', { id: 'timeline', width, height, viewBox: `0 0 ${width} ${height}` });
  const s0 = Number(BigInt(w.span_start_mono_ns) - base), s1 = Number(BigInt(w.span_end_mono_ns) - base);
  svg.append(sv('rect', { x: x(s0), y: 0, width: Math.max(1, x(s1) - x(s0)), height, fill: '#eef2ff' }));
  const span = snapSpan(snap);
  svg.append(sv('rect', { x: x(s0), y: 6, width: Math.max(1, x(s1) - x(s0)), height: 16, fill: '#2563eb', rx: 2 }));
  svg.append(sv('text', { x: 4, y: 18 }, 'span'));
  svg.append(sv('text', { x: x(s0) + 4, y: 18, fill: '#fff' }, span ? span.name + ' — ' + nsms(BigInt(span.end_time_unix_nano) - BigInt(span.start_time_unix_nano)) : ''));
  if (pathTids.length) {
    const laneY = (tid) => pathTop + pathTids.indexOf(tid) * lh;
    pathTids.forEach((tid) => {
      const g0 = chain.find((g) => g.tid === tid);
      svg.append(sv('text', { x: 4, y: laneY(tid) + 14, class: 'path-label' },
        '\u21b3 ' + tid + ' ' + ((g0 && g0.thread_name) || '')));
    });
    for (const g of chain) {
      if (!pathTids.includes(g.tid)) continue;
      const a = Number(BigInt(g.start_mono_ns) - base), b = Number(BigInt(g.end_mono_ns) - base);
      const st = g.state === 1 ? 'running' : g.state === 2 ? 'runnable' : 'blocked';
      if (g.handoff) {
        if (!pathTids.includes(g.waker_tid)) continue;
        const y0 = laneY(g.tid) + 9, y1 = laneY(g.waker_tid) + 9;
        const l = sv('line', { x1: x(a), y1: y0, x2: x(a), y2: y1, stroke: '#dc2626', 'stroke-width': 2, class: 'handoff' });
        l.append(sv('title', {}, g.tid + ' waits in ' + g.what + ' for ' + g.waker_tid));
        svg.append(l);
        continue;
      }
      const r = sv('rect', { x: x(a), y: laneY(g.tid) + 3, width: Math.max(0.5, x(b) - x(a)), height: 12, fill: COLORS[st], class: 'path-seg' });
      r.append(sv('title', {}, g.tid + ' (' + (g.thread_name || '?') + ') ' + g.what + ' ' + ms((b - a) / 1e6)));
      svg.append(r);
    }
    svg.append(sv('text', { x: left, y: threadsTop - 2, fill: '#6b7280', class: 'path-note' }, 'critical path above; the process\u2019s threads below'));
  }
  order.forEach((tid, i) => {
    const y = threadsTop + i * lh;
    const name = (snap.threads.find((t) => t.tid === tid) || {}).name || '';
    svg.append(sv('text', { x: 4, y: y + 14 }, tid + ' ' + name));
    for (const [a, b, st] of L.get(tid).segs) {
      const r = sv('rect', { x: x(a), y: y + 3, width: Math.max(0.5, x(b) - x(a)), height: 12, fill: COLORS[st], class: 'state-' + st });
      r.append(sv('title', {}, st + ' ' + ms((b - a) / 1e6)));
      svg.append(r);
    }
    for (const [a, b, nm] of L.get(tid).sys) {
      if (b - a < end / 2000) continue;
      const r = sv('rect', { x: x(a), y: y + 16, width: Math.max(0.5, x(b) - x(a)), height: 4, fill: '#1d4ed8', class: 'syscall' });
      r.append(sv('title', {}, nm + ' ' + ms((b - a) / 1e6)));
      svg.append(r);
    }
  });
  svg.append(sv('text', { x: left, y: height - 4, fill: '#6b7280' }, '0'));
  svg.append(sv('text', { x: width - 60, y: height - 4, fill: '#6b7280' }, ms(end / 1e6)));
  return svg;
}

function snapSpan(snap) {
  const rs = snap.span;
  return rs && rs.scope_spans && rs.scope_spans[0] && rs.scope_spans[0].spans[0];
}

// Who the span's process is: its pid and how flightrec found it, its cgroup,
// and the container and Kubernetes identity its resource carries.
function identity(snap) {
  const w = snap.window || {};
  const attrs = (snap.span && snap.span.resource && snap.span.resource.attributes) || [];
  const attr = (k) => { const a = attrs.find((x) => x.key === k); return a && a.value && a.value.string_value; };
  const bits = [];
  if (w.pid) bits.push('pid ' + w.pid);
  if (w.pid_source) bits.push('found by ' + w.pid_source);
  if (attr('container.id')) bits.push('container ' + attr('container.id').slice(0, 12));
  if (attr('k8s.pod.name')) bits.push('pod ' + (attr('k8s.namespace.name') ? attr('k8s.namespace.name') + '/' : '') + attr('k8s.pod.name'));
  if (attr('k8s.node.name')) bits.push('node ' + attr('k8s.node.name'));
  if (w.cgroup) bits.push('cgroup ' + w.cgroup);
  return bits.length ? el('p', { class: 'muted', id: 'process', text: 'Process: ' + bits.join(' · ') }) : el('span', {});
}

// The slow span against its operation's typical normal span, cause by cause:
// side-by-side bars (Chart.js, from Debian's libjs-chart.js).
function comparison(c) {
  const d = c.deltas || [];
  const canvas = el('canvas', { id: 'comparison-chart', width: 760, height: 50 + 34 * d.length });
  const out = [el('h2', { text: 'Against normal spans' }),
    el('p', { class: 'muted', id: 'comparison-text', text: (c.text || 'as usual') + ' (the typical of ' + c.samples +
      ' normal span' + (c.samples > 1 ? 's' : '') + ' of this operation: ' + nsms(c.normal_span_ns) + ')' }), canvas];
  if (typeof Chart === 'undefined') return out;
  const chart = new Chart(canvas, {
    type: 'bar',
    data: {
      labels: d.map((x) => x.what.length > 60 ? x.what.slice(0, 57) + '…' : x.what),
      datasets: [
        { label: 'this span', data: d.map((x) => Number(x.slow_ns || 0) / 1e6), backgroundColor: '#ef4444' },
        { label: 'typical normal span', data: d.map((x) => Number(x.normal_ns || 0) / 1e6), backgroundColor: '#94a3b8' },
      ],
    },
    options: {
      indexAxis: 'y', responsive: false, animation: false,
      scales: { x: { title: { display: true, text: 'ms' } } },
      plugins: { legend: { position: 'bottom' } },
    },
  });
  canvas.chart = chart; // for the browser test
  return out;
}

// Blocking stacks merged root-first into a flame graph (width = occurrences).
function flame(snap) {
  const r = snap.records, focus = snap.window.focus_tid;
  const root = { name: 'all', n: 0, kids: new Map() };
  const n = r ? r.type.length : 0;
  for (let i = 0; i < n; i++) {
    if (r.type[i] !== 2 || !Number(r.c[i])) continue;
    const st = snap.stacks[Number(r.c[i]) - 1];
    if (!st || (focus && r.tid[i] !== focus)) continue;
    const frames = st.frames.slice().reverse();
    let node = root;
    root.n++;
    for (const f of frames) {
      const nm = f.symbol ? f.symbol : (f.kernel ? '0x' + BigInt(f.addr).toString(16)
        : f.module ? f.module.split('/').pop() + '+0x' + BigInt(f.offset || 0).toString(16) : '0x' + BigInt(f.addr).toString(16));
      if (!node.kids.has(nm)) node.kids.set(nm, { name: nm, n: 0, kids: new Map(), kernel: f.kernel });
      node = node.kids.get(nm);
      node.n++;
    }
  }
  const width = 1100, rh = 17;
  let depth = 0;
  (function d(nd, k) { depth = Math.max(depth, k); for (const c of nd.kids.values()) d(c, k + 1); })(root, 0);
  const svg = sv('svg', { id: 'flame', width, height: (depth + 1) * rh + 4 });
  if (!root.n) return el('p', { class: 'muted', text: 'No blocking stacks were recorded for this thread during the window.' });
  (function draw(nd, x0, w, k) {
    const y = (depth - k) * rh;
    const g = sv('g', {});
    const kernel = nd.kernel;
    g.append(sv('rect', { x: x0, y, width: Math.max(0.5, w), height: rh - 1, fill: k === 0 ? '#cbd5e1' : kernel ? '#fca5a5' : '#fdba74' }));
    g.append(sv('title', {}, nd.name + ' (' + nd.n + ')'));
    if (w > 40) g.append(sv('text', { x: x0 + 3, y: y + 12 }, nd.name.length * 6.2 > w - 6 ? nd.name.slice(0, Math.max(1, Math.floor((w - 6) / 6.2))) : nd.name));
    svg.append(g);
    let cx = x0;
    for (const c of nd.kids.values()) { const cw = w * c.n / nd.n; draw(c, cx, cw, k + 1); cx += cw; }
  })(root, 0, width, 0);
  return svg;
}

async function incidentPage(id) {
  let r;
  try { r = await api('/api/incidents/' + encodeURIComponent(id)); } catch (e) { return fail(e); }
  const s = r.summary, snap = r.snapshot, w = snap.window || {};
  const span = snapSpan(snap);
  const parts = [
    el('p', {}, el('a', { href: '/', 'data-nav': '', text: '← incidents' })),
    el('h1', { text: s.service + ' · ' + s.name }),
    el('p', { class: 'muted', text: KINDS[s.kind] + ' span, ' + ms(s.duration_ms) + ', ended ' + when(s.time_unix_nano) + ' — ' + snap.trigger_reason }),
    el('div', { class: 'verdict', id: 'verdict', text: s.verdict }),
    el('p', { class: 'ids' }, 'trace ', el('code', { id: 'trace-id', text: s.trace_id }),
      el('button', { class: 'secondary', text: 'copy', onclick: () => copy(s.trace_id) }),
      ' span ', el('code', { id: 'span-id', text: s.span_id }),
      el('button', { class: 'secondary', text: 'copy', onclick: () => copy(s.span_id) })),
    el('p', { class: 'downloads' },
      el('a', { id: 'dl-snapshot', href: '/api/incidents/' + s.id + '/snapshot', download: 'incident-' + s.id + '.frsnap', text: 'Download snapshot (.frsnap)' }),
      el('a', { id: 'dl-perfetto', href: '/api/incidents/' + s.id + '/perfetto', download: 'incident-' + s.id + '.perfetto.json', text: 'Download Perfetto trace' }),
      el('span', { class: 'muted', text: 'read offline with: flightrec inspect incident-' + s.id + '.frsnap' })),
    identity(snap),
    el('p', { class: 'muted', id: 'recurrence' }),
    el('p', {}, el('a', { id: 'op-link', href: opHref(s.service, s.name), 'data-nav': '', text: 'Latency of ' + s.name + ' over the last hour' })),
  ];
  if (s.signature) {
    api('/api/problems/' + s.signature).then((pr) => {
      const p = pr.problem, rec = document.getElementById('recurrence');
      if (!rec) return;
      rec.replaceChildren(p.count > 1 ? 'Seen ' + p.count + ' times since ' + when(p.first_unix_nano) + ' (same cause): '
        : 'First time this cause was seen: ',
      el('a', { href: '/problems/' + p.signature, 'data-nav': '', text: p.cause || 'the problem' }), p.known ? ' (known)' : '');
    }).catch(() => { /* the problem view is extra */ });
  }
  if (!w.kernel_context) {
    parts.push(el('p', { class: 'muted', text: 'No kernel context: ' + w.no_context_reason }));
  } else {
    parts.push(el('h2', { text: 'Timeline' }),
      el('p', { class: 'legend' }, ...Object.entries(COLORS).map(([k, c]) => el('span', {}, el('i', { style: 'background:' + c }), k)),
        el('span', {}, el('i', { style: 'background:#1d4ed8' }), 'syscall'),
        el('span', { class: 'muted', text: w.missing_ns && w.missing_ns !== '0' ? 'the first ' + nsms(w.missing_ns) + ' were no longer in the rings' : 'window complete' })),
      timeline(snap));
    const spanNs = Number(BigInt(span.end_time_unix_nano) - BigInt(span.start_time_unix_nano)) || 1;
    parts.push(el('h2', { text: 'Where the time went (thread ' + w.focus_tid + ')' }),
      el('p', { class: 'muted', text: 'The span\'s thread: ' + (w.focus_reason || 'the busiest thread') + '.' }),
      el('table', { id: 'causes' }, el('tbody', {}, ...(snap.causes || []).map((c) =>
        el('tr', {}, el('td', { class: 'num', text: nsms(c.ns) }),
          el('td', {}, el('span', { class: 'bar', style: 'width:' + Math.max(1, Math.round(300 * Number(c.ns) / spanNs)) + 'px' })),
          el('td', { text: c.what }))))));
    if (snap.comparison && snap.comparison.samples) parts.push(...comparison(snap.comparison));
    if (snap.chain && snap.chain.length) {
      parts.push(el('h2', { text: 'Wake-up chain (critical path)' }),
        el('p', { class: 'muted', text: 'What the span waited for: each wait of its thread replaced by what ended it, indented one step per wake-up.' }),
        el('table', { id: 'chain' }, el('tbody', {}, ...snap.chain.map((g) =>
          el('tr', g.handoff ? { class: 'handoff' } : {},
            el('td', { class: 'num', text: g.handoff ? '\u21b3' : nsms(String(BigInt(g.end_mono_ns) - BigInt(g.start_mono_ns))) }),
            el('td', { text: '\u00a0'.repeat(3 * (Number(g.depth) || 0)) + g.tid + ' (' + (g.thread_name || '?') + ')' }),
            el('td', { text: g.handoff ? 'waits in ' + g.what + ' for ' + g.waker_tid + ', below' : g.what }))))));
    }
    parts.push(el('h2', { text: 'Top syscalls (process, within the span)' }),
      el('table', { id: 'syscalls' }, el('thead', {}, el('tr', {}, ...['syscall', 'count', 'total', 'max'].map((h, i) => el('th', { class: i ? 'num' : '', text: h })))),
        el('tbody', {}, ...(snap.syscalls || []).slice(0, 12).map((y) => el('tr', {}, el('td', { text: y.name }),
          el('td', { class: 'num', text: y.count }), el('td', { class: 'num', text: nsms(y.total_ns) }), el('td', { class: 'num', text: nsms(y.max_ns) }))))));
    parts.push(el('h2', { text: 'Blocking stacks (flame graph)' }), flame(snap));
    parts.push(el('h2', { text: 'Threads' }),
      el('table', { id: 'threads' }, el('thead', {}, el('tr', {}, ...['tid', 'name', 'on CPU', 'runnable', 'blocked', 'syscalls'].map((h, i) => el('th', { class: i > 1 ? 'num' : '', text: h })))),
        el('tbody', {}, ...(snap.threads || []).slice(0, 30).map((t) => el('tr', {}, el('td', { text: t.tid }), el('td', { text: t.name }),
          el('td', { class: 'num', text: nsms(t.on_cpu_ns) }), el('td', { class: 'num', text: nsms(t.runnable_ns) }),
          el('td', { class: 'num', text: nsms(t.blocked_ns) }), el('td', { class: 'num', text: t.syscalls }))))));
  }
  if ((snap.child_spans || []).length)
    parts.push(el('h2', { text: 'Child spans exported' }), el('ul', {}, ...snap.child_spans.map((c) =>
      el('li', { text: c.name + ' — ' + nsms(BigInt(c.end_time_unix_nano) - BigInt(c.start_time_unix_nano)) }))));
  main.replaceChildren(...parts);
}

function copy(text) {
  if (navigator.clipboard) navigator.clipboard.writeText(text).catch(() => {});
}

// ---------------- triggers ----------------

async function triggersPage() {
  const rulesBody = el('tbody', { id: 'rule-rows' });
  const opsBody = el('tbody', { id: 'op-rows' });
  const msg = el('p', { id: 'rule-msg', class: 'muted' });
  const type = el('select', { id: 'rule-type' }, el('option', { value: 'p', text: 'percentile' }),
    el('option', { value: 'threshold', text: 'threshold' }), el('option', { value: 'error', text: 'error status' }));
  const value = el('input', { id: 'rule-value', value: '99', size: 6 });
  const service = el('input', { id: 'rule-service', placeholder: 'any', size: 14 });
  const name = el('input', { id: 'rule-name', placeholder: 'any (globs: GET *)', size: 22 });
  const kind = el('select', { id: 'rule-kind' }, ...['any', 'server', 'client', 'internal', 'producer', 'consumer'].map((k) => el('option', { value: k, text: k })));
  const form = el('form', { class: 'rule', id: 'rule-form', onsubmit: async (e) => {
    e.preventDefault();
    const quote = (v) => "'" + v.replace(/'/g, '') + "'";
    let text = type.value === 'p' ? 'p' + value.value.trim() : type.value === 'threshold' ? 'threshold=' + value.value.trim() + 'ms' : 'error';
    if (service.value.trim()) text += ',service=' + quote(service.value.trim());
    if (name.value.trim()) text += ',name=' + quote(name.value.trim());
    if (kind.value !== 'any') text += ',kind=' + kind.value;
    try {
      await api('/api/rules', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ rule: text }) });
      msg.textContent = 'Added: ' + text; msg.className = 'muted'; refresh();
    } catch (err) { msg.textContent = err.message; msg.className = 'error'; }
  } },
  el('label', {}, 'fires on', type), el('label', {}, 'percentile / ms', value), el('label', {}, 'service', service),
  el('label', {}, 'operation', name), el('label', {}, 'kind', kind), el('button', { type: 'submit', text: 'Add rule' }));
  main.replaceChildren(el('h1', { text: 'Triggers' }),
    el('p', { class: 'muted', text: 'A span becomes an incident when the first rule it matches fires. Percentile rules compare with the live pNN of the operation over the last 5 minutes.' }),
    el('table', { id: 'rules' }, el('thead', {}, el('tr', {}, ...['id', 'rule', 'captures', 'in cooldown', ''].map((h) => el('th', { text: h })))), rulesBody),
    el('h2', { text: 'Add a rule' }), form, msg,
    el('h2', { text: 'Operations (live)' }),
    el('table', { id: 'operations' }, el('thead', {}, el('tr', {}, ...['service', 'operation', 'kind', 'count (5 min)', 'p50', 'p99', 'captures'].map((h, i) => el('th', { class: i > 2 ? 'num' : '', text: h })))), opsBody));
  async function refresh() {
    try {
      const [r, o] = await Promise.all([api('/api/rules'), api('/api/operations')]);
      rulesBody.replaceChildren(...r.rules.map((x) => el('tr', { 'data-rule': x.id }, el('td', { text: x.id }), el('td', { text: x.text }),
        el('td', { text: x.fired }), el('td', { text: x.cooled }),
        el('td', {}, el('button', { class: 'secondary', text: 'remove', onclick: async () => {
          try { await api('/api/rules/' + x.id, { method: 'DELETE' }); refresh(); } catch (err) { msg.textContent = err.message; msg.className = 'error'; }
        } })))));
      opsBody.replaceChildren(...o.operations.map((x) => el('tr', {}, el('td', { text: x.service }),
        el('td', {}, el('a', { href: opHref(x.service, x.name), 'data-nav': '', text: x.name })),
        el('td', { text: KINDS[x.kind] || x.kind }), el('td', { class: 'num', text: x.count }),
        el('td', { class: 'num', text: ms(x.p50_ms) }), el('td', { class: 'num', text: ms(x.p99_ms) }), el('td', { class: 'num', text: x.captures }))));
    } catch (err) { msg.textContent = err.message; msg.className = 'error'; }
  }
  refresh();
  timer = setInterval(refresh, 2000);
}

// ---------------- status ----------------

// A small time series (Chart.js): points [{x: unix ms, y}].
function spark(id, label, points, color, bars) {
  const canvas = el('canvas', { id, width: 260, height: 90 });
  if (typeof Chart === 'undefined') return canvas;
  canvas.chart = new Chart(canvas, {
    type: bars ? 'bar' : 'line',
    data: { datasets: [{ label, data: points, borderColor: color, backgroundColor: color, pointRadius: 0, borderWidth: 1.5 }] },
    options: {
      responsive: false, animation: false, parsing: false,
      scales: { x: { type: 'linear', ticks: { maxTicksLimit: 3, callback: (v) => hhmm(v) } }, y: { beginAtZero: true, ticks: { maxTicksLimit: 3 } } },
      plugins: { legend: { display: false }, title: { display: true, text: label } },
    },
  });
  return canvas;
}

async function statusPage() {
  const box = el('div', { id: 'status' });
  const history = el('div', { class: 'sparks', id: 'status-history' });
  main.replaceChildren(el('h1', { text: 'Status' }), box, el('h2', { text: 'The last hour' }), history);
  async function drawHistory() {
    try {
      const h = (await api('/api/status/history')).points;
      const series = (k) => h.map((p) => ({ x: p.t, y: p[k] }));
      history.replaceChildren(spark('spark-events', 'events/s', series('events_per_s'), '#2563eb'),
        spark('spark-spans', 'spans/s', series('spans_per_s'), '#0891b2'),
        spark('spark-incidents', 'incidents', series('incidents'), '#dc2626', true),
        spark('spark-coverage', 'ring coverage (s)', series('coverage_s'), '#16a34a'));
    } catch (e) { history.replaceChildren(el('p', { class: 'muted', text: 'No history: ' + e.message })); }
  }
  drawHistory();
  const card = (k, v, sub) => el('div', { class: 'card' }, el('div', { class: 'muted', text: k }), el('div', { class: 'v', text: v }), sub ? el('div', { class: 'muted', text: sub }) : '');
  async function refresh() {
    let s;
    try { s = await api('/api/status'); } catch (e) { box.replaceChildren(el('p', { class: 'error', text: e.message })); return; }
    const cards = [card('uptime', (s.uptime_s / 60).toFixed(1) + ' min'), card('kernel capture', s.kernel_capture ? 'on' : 'off')];
    if (s.rings) {
      const cov = s.rings.cpus.map((c) => c.coverage_s);
      cards.push(card('ring coverage', Math.min(...cov).toFixed(1) + ' s', 'per CPU: ' + cov.map((c) => c.toFixed(1) + ' s').join(', ')),
        card('events/s', Math.round(s.rings.events_per_s).toLocaleString()),
        card('records', s.rings.written.toLocaleString(), s.rings.overwritten.toLocaleString() + ' overwritten'),
        card('lost', (s.rings.lost + s.rings.stack_fail).toLocaleString(), s.rings.skipped.toLocaleString() + ' skipped (unfollowed)'),
        card('stacks', s.rings.stacks.toLocaleString(), (s.rings.stacks_skipped || 0).toLocaleString() + ' blocks too short for one'),
        card('links', String((s.rings.links || {}).now || 0), ((s.rings.links || {}).made || 0) + ' made, ' + (s.rings.fds_named || 0).toLocaleString() + ' fds named'));
    }
    cards.push(card('incidents stored', s.store.incidents.toLocaleString(), (s.store.bytes / 1048576).toFixed(1) + ' MiB'));
    if (s.otlp) cards.push(card('spans received', s.otlp.spans.toLocaleString(), s.otlp.rejected + ' rejected, ' + s.otlp.bad + ' bad requests'));
    if (s.triggers) cards.push(card('captures', s.triggers.fired.toLocaleString(), s.triggers.operations + ' operations tracked'));
    cards.push(s.exporter ? card('exporter', s.exporter.spans_sent.toLocaleString() + ' sent',
      (s.exporter.queue_bytes / 1024).toFixed(0) + ' KiB queued, ' + s.exporter.dropped + ' dropped, ' + s.exporter.lost + ' failed') : card('exporter', 'off'));
    box.replaceChildren(el('div', { class: 'cards' }, ...cards));
  }
  refresh();
  timer = setInterval(refresh, 2000);
}

route();

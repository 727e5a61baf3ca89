// flightrec web UI: one incident: verdict, chain, timeline, comparison, flame graph.

import { main, el, sv, ms, nsms, when, KINDS, api, fail, opHref, fleetInfo } from './common.js';
import { occurrences } from './charts.js';

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

// Stacks of one record type merged root-first into a flame graph (width =
// occurrences): blocking stacks (switch-outs, type 2) or on-CPU samples
// (type 6, within the span) of the span's thread.
function flame(snap, type, id, empty) {
  const r = snap.records, focus = snap.window.focus_tid;
  const t0 = BigInt(snap.window.span_start_mono_ns || 0), t1 = BigInt(snap.window.span_end_mono_ns || 0);
  let ts = BigInt(snap.window.start_mono_ns || 0);
  const root = { name: 'all', n: 0, kids: new Map() };
  const n = r ? r.type.length : 0;
  for (let i = 0; i < n; i++) {
    ts += BigInt(r.ts_delta[i]);
    if (r.type[i] !== type || !Number(r.c[i])) continue;
    if (type === 6 && (ts < t0 || ts > t1)) continue;
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
  const svg = sv('svg', { id, width, height: (depth + 1) * rh + 4 });
  if (!root.n) return el('p', { class: 'muted', id: id + '-none', text: empty });
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

// Where the trace went on other hosts: what this incident is part of, and
// each remote part as a lane named after its node (how long this node
// waited on it), linked to its incident there.
function across(s, fleetView) {
  const out = [];
  if (!s.part_of && !(s.remote || []).length) return out;
  out.push(el('h2', { text: 'Across hosts' }));
  if (s.part_of)
    out.push(el('p', { id: 'part-of' }, 'Taken on ' + (s.node || 'this node') + ' as part of incident ',
      el('a', { href: '/?trace_id=' + s.trace_id, 'data-nav': '', text: s.part_of.incident }),
      ' on ' + s.part_of.node + (s.part_of.merged ? ' (captured here already, then merged)' : '') + '.'));
  const parts = s.remote || [];
  if (!parts.length) return out;
  const W = 760, LH = 26, X0 = 200, total = Math.max(s.duration_ms, ...parts.map((p) => p.waited_ms), 1);
  const svg = sv('svg', { width: W, height: LH * (parts.length + 1) + 6, id: 'remote-lanes', class: 'lanes' });
  const lane = (i, label, msv, color, title) => {
    const y = 3 + i * LH, wpx = Math.max(2, Math.round((W - X0 - 10) * msv / total));
    svg.append(sv('text', { x: 4, y: y + 16, class: 'lane-label' }, label));
    const r = sv('rect', { x: X0, y: y + 4, width: wpx, height: LH - 10, fill: color, rx: 2 });
    r.append(sv('title', {}, title));
    svg.append(r);
  };
  lane(0, (s.node || 'this node') + ': ' + s.service, s.duration_ms, '#16a34a', 'the span here, ' + ms(s.duration_ms));
  parts.forEach((p, i) => lane(i + 1, (p.via ? '  ' : '') + (p.node || p.endpoint) + (p.service ? ': ' + p.service : ''),
    p.waited_ms || 0, p.state === 'answered' || p.state === 'late' || p.state === 'merged' ? '#1d4ed8' : '#9ca3af',
    p.state + (p.waited_ms ? ', waited ' + ms(p.waited_ms) : '') + (p.via ? ', reached through ' + p.via : '')));
  out.push(svg, el('table', { id: 'remote-parts' },
    el('thead', {}, el('tr', {}, ...['node', 'endpoint', 'state', 'what it found'].map((h) => el('th', { text: h })))),
    el('tbody', {}, ...parts.map((p) => el('tr', { 'data-node': p.node },
      el('td', {}, p.incident !== '0000000000000000' && !fleetView && p.ui
        ? el('a', { href: p.ui + '/incidents/' + p.incident, text: p.node })
        : p.incident !== '0000000000000000' ? el('a', { href: '/?trace_id=' + s.trace_id, 'data-nav': '', text: p.node }) : (p.node || '—'),
      p.via ? ' (through ' + p.via + ')' : ''),
      el('td', { text: p.endpoint || '' }),
      el('td', { class: 'state-' + p.state.replace(/ /g, '-'), text: p.state }),
      el('td', { text: p.verdict || p.note }))))));
  return out;
}

export async function incidentPage(id) {
  let r;
  try { r = await api('/api/incidents/' + encodeURIComponent(id)); } catch (e) { return fail(e); }
  const fleet = await fleetInfo;
  const s = r.summary;
  if (!r.snapshot) { /* the fleet view could not fetch it from its node */
    return main.replaceChildren(
      el('p', {}, el('a', { href: '/', 'data-nav': '', text: '← incidents' })),
      el('h1', { text: s.service + ' · ' + s.name }),
      el('p', { class: 'muted', text: 'on ' + (s.node || '?') + ', ' + ms(s.duration_ms) + ', ended ' + when(s.time_unix_nano) }),
      el('div', { class: 'verdict', id: 'verdict', text: s.verdict }),
      el('p', { class: 'error', id: 'snapshot-error', text: 'The snapshot is not available: ' + r.snapshot_error }),
      ...across(s, fleet && fleet.view));
  }
  const snap = r.snapshot, w = snap.window || {};
  const span = snapSpan(snap);
  const parts = [
    el('p', {}, el('a', { href: '/', 'data-nav': '', text: '← incidents' })),
    el('h1', { text: s.service + ' · ' + s.name }),
    el('p', { class: 'muted', text: KINDS[s.kind] + ' span, ' + ms(s.duration_ms) + ', ended ' + when(s.time_unix_nano) + ' — ' + snap.trigger_reason }),
    el('div', { class: 'verdict', id: 'verdict', text: s.verdict }),
    ...across(s, fleet && fleet.view),
    el('p', { class: 'ids' }, 'trace ', el('code', { id: 'trace-id', text: s.trace_id }),
      el('button', { class: 'secondary', text: 'copy', onclick: () => copy(s.trace_id) }),
      ' span ', el('code', { id: 'span-id', text: s.span_id }),
      el('button', { class: 'secondary', text: 'copy', onclick: () => copy(s.span_id) })),
    el('p', { class: 'downloads' },
      el('a', { id: 'dl-snapshot', href: '/api/incidents/' + s.id + '/snapshot', download: 'incident-' + s.id + '.frsnap', text: 'Download snapshot (.frsnap)' }),
      el('a', { id: 'dl-perfetto', href: '/api/incidents/' + s.id + '/perfetto', download: 'incident-' + s.id + '.perfetto.json', text: 'Download Perfetto trace' }),
      el('a', { id: 'dl-pprof', href: '/api/incidents/' + s.id + '/profile.pb.gz', download: 'incident-' + s.id + '.pb.gz', text: 'Download CPU profile (pprof)' }),
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
    if (snap.disk && snap.disk.users && snap.disk.users.length) {
      const mib = (b) => (Number(b || 0) / 1048576).toFixed(1) + ' MiB';
      parts.push(el('h2', { text: 'Who else used the disk (' + snap.disk.device + ')' }),
        el('p', { class: 'muted', text: 'The span waited on this device; these others moved data on it within the span (block requests, writeback credited to who dirtied the pages).' }),
        el('table', { id: 'disk-users' },
          el('thead', {}, el('tr', {}, ...['who', 'written', 'read', 'requests'].map((h, i) => el('th', { class: i ? 'num' : '', text: h })))),
          el('tbody', {}, ...snap.disk.users.map((u) => el('tr', {}, el('td', { text: u.who }),
            el('td', { class: 'num', text: mib(u.written_bytes) }), el('td', { class: 'num', text: mib(u.read_bytes) }),
            el('td', { class: 'num', text: String(u.requests || 0) }))))));
    }
    if (snap.comparison && snap.comparison.samples) parts.push(...comparison(snap.comparison));
    if (snap.chain && snap.chain.length) {
      parts.push(el('h2', { text: 'Wake-up chain (critical path)' }),
        el('p', { class: 'muted', text: 'What the span waited for: each wait of its thread replaced by what ended it, indented one step per wake-up.' }),
        el('table', { id: 'chain' }, el('tbody', {}, ...snap.chain.map((g) =>
          el('tr', g.handoff ? { class: 'handoff' } : {},
            el('td', { class: 'num', text: g.handoff ? '\u21b3' : nsms(String(BigInt(g.end_mono_ns) - BigInt(g.start_mono_ns))) }),
            el('td', { text: '\u00a0'.repeat(3 * (Number(g.depth) || 0)) + g.tid + ' (' + (g.thread_name || '?') + ')' }),
            el('td', { text: g.handoff ? 'waits in ' + g.what + (g.lock_wait ? ' held by ' : ' for ') + g.waker_tid + ', below' : g.what }))))));
    }
    const mode = w.syscalls || 'all';
    const modeNote = mode === 'sched'
      ? 'Scheduler-centred capture (--syscalls sched): only syscalls that blocked are recorded, each to its return from its first block, or from the time on CPU that samples put in it before that block; fast calls are neither timed nor counted (the on-CPU samples show where CPU time went).'
      : mode === 'slow'
        ? 'Syscalls under ' + nsms(w.slow_syscall_ns) + ' are not recorded one by one (--syscalls slow): the counts and times below are of those over it.'
        : 'Every syscall is recorded (--syscalls all).';
    parts.push(el('h2', { text: 'Top syscalls (process, within the span)' }),
      el('p', { class: 'muted', id: 'syscalls-mode', text: modeNote }),
      el('table', { id: 'syscalls' }, el('thead', {}, el('tr', {}, ...['syscall', 'count', 'total', 'max'].map((h, i) => el('th', { class: i ? 'num' : '', text: h })))),
        el('tbody', {}, ...(snap.syscalls || []).slice(0, 12).map((y) => el('tr', {}, el('td', { text: y.name }),
          el('td', { class: 'num', text: y.count }), el('td', { class: 'num', text: nsms(y.total_ns) }), el('td', { class: 'num', text: nsms(y.max_ns) }))))));
    parts.push(el('h2', { text: 'On-CPU samples of the span\'s thread (flame graph)' }),
      flame(snap, 6, 'cpu-flame', Number(snap.window.sample_hz)
        ? 'No on-CPU samples of this thread fell within the span (it was hardly on a CPU).'
        : 'No on-CPU samples were taken (sampling was off).'),
      el('h2', { text: 'Blocking stacks (flame graph)' }),
      flame(snap, 2, 'flame', 'No blocking stacks were recorded for this thread during the window.'));
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

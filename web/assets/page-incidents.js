// flightrec web UI: the incident list, with filters and incidents per minute.

import { main, every, el, ms, when, api, go } from './common.js';
import { spark } from './charts.js';

export function incidentsPage() {
  const url = new URLSearchParams(location.search);
  const f = { service: '', name: '', min_ms: '', node: url.get('node') || '', trace_id: url.get('trace_id') || '' };
  const svc = el('input', { name: 'service', placeholder: 'any', size: 14 });
  const op = el('input', { name: 'name', placeholder: 'any', size: 22 });
  const min = el('input', { name: 'min_ms', placeholder: '0', size: 6, inputmode: 'numeric' });
  const node = el('input', { name: 'node', placeholder: 'any', size: 10, value: f.node });
  const form = el('form', { class: 'filters', id: 'filters', onsubmit: (e) => {
    e.preventDefault(); f.service = svc.value.trim(); f.name = op.value.trim(); f.min_ms = min.value.trim();
    f.node = node.value.trim();
    seen.clear(); load(true);
  } },
  el('label', {}, 'service', svc), el('label', {}, 'operation', op), el('label', {}, 'min ms', min),
  el('label', {}, 'node', node),
  el('button', { type: 'submit', text: 'Filter' }));
  const tbody = el('tbody', { id: 'incident-rows' });
  const count = el('p', { class: 'muted', id: 'incident-count' });
  const more = el('button', { class: 'secondary', text: 'Older…', style: 'display:none', onclick: () => load(false) });
  const table = el('table', { id: 'incidents' },
    el('thead', {}, el('tr', {}, ...['time', 'node', 'service', 'operation', 'duration', 'threshold broken', 'verdict']
      .map((h, i) => el('th', { class: i === 4 ? 'num' : '', text: h })))), tbody);
  const overTime = el('div', { id: 'incidents-over-time' });
  main.replaceChildren(el('h1', { text: f.trace_id ? 'The parts of trace ' + f.trace_id : 'Incidents' }),
    el('p', { class: 'muted', text: f.trace_id ? 'Every incident of this trace, on every node that took a part of it.'
      : 'Slow spans flightrec captured, newest first. New ones appear as they come.' }),
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
      el('td', { text: when(s.time_unix_nano) }),
      el('td', { class: 'node', text: s.node ? s.node + (s.part_of ? ' (part of ' + s.part_of.node + ')' : '') : '—' }),
      el('td', { text: s.service }),
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
  every(poll, 2000);
}

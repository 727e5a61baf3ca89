// flightrec web UI: an operation's latency over time: spans as dots, p50/p99 per minute,
// thresholds and the live p99, incidents in red.

import { main, el, ms, api, go, fail, opHref, hhmm } from './common.js';

export async function operationPage() {
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

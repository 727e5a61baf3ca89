// flightrec web UI: the recorder's own figures over the last hour.

import { main, every, el, api } from './common.js';
import { spark } from './charts.js';

export async function statusPage() {
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
        card('on-CPU samples', (s.rings.samples || 0).toLocaleString(), s.rings.sample_hz ? s.rings.sample_hz + ' Hz per CPU' : 'sampling off'),
        card('syscalls recorded', s.rings.syscalls || '?', { sched: 'those that block, seen by the scheduler', slow: 'slow ones; sums of the rest', all: 'every call' }[s.rings.syscalls] || ''),
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
  every(refresh, 2000);
}

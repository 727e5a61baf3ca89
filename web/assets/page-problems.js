// flightrec web UI: recurring causes: the Problems view and one problem.

import { main, every, el, ms, when, api, go, fail } from './common.js';
import { occurrences } from './charts.js';

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

export function problemsPage() {
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
  every(load, 5000);
}

export async function problemPage(sig) {
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

// flightrec web UI: the trigger rules, with live p50/p99.

import { main, every, el, ms, when, KINDS, api, opHref } from './common.js';

export async function triggersPage() {
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
  every(refresh, 2000);
}

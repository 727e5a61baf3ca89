// flightrec web UI: the fleet's nodes, from the registry (each node's last
// heartbeat, version and incidents over the last hour), linked to their UIs.

import { main, every, el, api, fail } from './common.js';

export async function fleetPage() {
  const tbody = el('tbody', { id: 'node-rows' });
  const head = el('p', { class: 'muted', id: 'fleet-head' });
  main.replaceChildren(el('h1', { text: 'Fleet' }), head,
    el('table', { id: 'nodes' }, el('thead', {}, el('tr', {}, ...['node', 'last heartbeat', 'version', 'addresses', 'incidents, last hour']
      .map((h, i) => el('th', { class: i === 1 || i > 2 ? 'num' : '', text: h })))), tbody));
  async function load() {
    let f;
    try { f = await api('/api/fleet'); } catch (e) { return fail(e); }
    head.textContent = f.view ? 'The fleet view: every node\'s incidents, read from the fleet\'s stream.'
      : 'This node is ' + f.node + '.' + (f.url ? ' The fleet view is at ' + f.url + '.' : '');
    tbody.replaceChildren(...f.nodes.sort((a, b) => a.name.localeCompare(b.name)).map((n) =>
      el('tr', { 'data-node': n.name },
        el('td', {}, n.ui ? el('a', { href: n.ui, text: n.name }) : n.name),
        el('td', { class: 'num', text: n.heartbeat_age_s.toFixed(0) + ' s ago' }),
        el('td', { text: n.version }),
        el('td', { class: 'num', text: n.addresses }),
        el('td', { class: 'num' }, el('a', { href: '/?node=' + encodeURIComponent(n.name), 'data-nav': '', text: n.incidents_last_hour })))));
    if (!f.nodes.length) tbody.append(el('tr', {}, el('td', { colspan: 5, class: 'muted', text: 'No node in the registry (yet).' })));
  }
  await load();
  every(load, 5000);
}

// flightrec web UI: the router. One document; each page is a module of
// its own (page-*.js) around what every page uses (common.js).

import { setRouter, go, stopTimer, fleetInfo } from './common.js';
import { fleetPage } from './page-fleet.js';
import { operationPage } from './page-operation.js';
import { problemsPage, problemPage } from './page-problems.js';
import { incidentsPage } from './page-incidents.js';
import { incidentPage } from './page-incident.js';
import { triggersPage } from './page-triggers.js';
import { statusPage } from './page-status.js';

function route() {
  stopTimer();
  const p = location.pathname;
  for (const id of ['incidents', 'problems', 'triggers', 'status', 'fleet'])
    document.getElementById('nav-' + id).classList.toggle('active',
      (id === 'incidents' && (p === '/' || p.startsWith('/incidents'))) ||
      (id === 'problems' && p.startsWith('/problems')) || p === '/' + id);
  if (p.startsWith('/incidents/')) return incidentPage(p.slice(11));
  if (p.startsWith('/problems/')) return problemPage(p.slice(10));
  if (p === '/problems') return problemsPage();
  if (p === '/operation') return operationPage();
  if (p === '/triggers') return triggersPage();
  if (p === '/status') return statusPage();
  if (p === '/fleet') return fleetPage();
  return incidentsPage();
}

setRouter(route);
// the fleet's pages when this UI is part of a fleet (or is its view)
fleetInfo.then((f) => {
  if (!f) return;
  if (f.view || f.node) document.getElementById('nav-fleet').hidden = false;
  if (f.url) {
    const a = document.getElementById('nav-fleet-view');
    a.href = f.url;
    a.hidden = false;
  }
  if (f.view) document.querySelector('.brand').textContent = 'flightrec fleet';
});
document.addEventListener('click', (ev) => {
  const a = ev.target.closest('a[data-nav]');
  if (a && !ev.metaKey && !ev.ctrlKey) { ev.preventDefault(); go(a.getAttribute('href')); }
});
window.addEventListener('popstate', route);
route();

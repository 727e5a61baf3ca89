// flightrec web UI: the router. One document; each page is a module of
// its own (page-*.js) around what every page uses (common.js).

import { setRouter, go, stopTimer } from './common.js';
import { operationPage } from './page-operation.js';
import { problemsPage, problemPage } from './page-problems.js';
import { incidentsPage } from './page-incidents.js';
import { incidentPage } from './page-incident.js';
import { triggersPage } from './page-triggers.js';
import { statusPage } from './page-status.js';

function route() {
  stopTimer();
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

setRouter(route);
document.addEventListener('click', (ev) => {
  const a = ev.target.closest('a[data-nav]');
  if (a && !ev.metaKey && !ev.ctrlKey) { ev.preventDefault(); go(a.getAttribute('href')); }
});
window.addEventListener('popstate', route);
route();

// flightrec web UI, what every page uses. Plain DOM, no dependencies,
// nothing from the network but this server. Everything that comes from
// spans is untrusted: it is only ever put into the page as text
// (textContent, SVG text nodes).

export const main = document.getElementById('main');
let timer = null;

// Runs fn every period ms until the next page is shown.
export function every(fn, period) {
  clearInterval(timer);
  timer = setInterval(fn, period);
}

// Stops what the page before ran (the router, at every page).
export function stopTimer() {
  clearInterval(timer);
  timer = null;
}

export function el(tag, attrs, ...kids) {
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

export const SVG = 'http://www.w3.org/2000/svg';
export function sv(tag, attrs, text) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

export function ms(x) {
  if (x >= 1000) return (x / 1000).toFixed(2) + ' s';
  if (x >= 10) return x.toFixed(0) + ' ms';
  if (x >= 1) return x.toFixed(1) + ' ms';
  return (x * 1000).toFixed(0) + ' µs';
}
export const nsms = (ns) => ms(Number(ns) / 1e6);
export function when(unixNanoStr) {
  const d = new Date(Number(BigInt(unixNanoStr) / 1000000n));
  return d.toLocaleString();
}
export const KINDS = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'];

export async function api(path, opts) {
  const r = await fetch(path, opts);
  const body = r.headers.get('content-type')?.includes('json') ? await r.json() : await r.text();
  if (!r.ok) throw new Error(body && body.error ? body.error : 'HTTP ' + r.status);
  return body;
}

let router = () => {};
export function setRouter(fn) {
  router = fn;
}

export function go(path) {
  history.pushState(null, '', path);
  router();
}


export function fail(e) {
  main.replaceChildren(el('p', { class: 'error', text: 'Error: ' + e.message }));
}

// ---------------- an operation's latency over time ----------------

export function opHref(service, name) {
  return '/operation?' + new URLSearchParams({ service, name });
}

export const hhmm = (ms) => new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });


// What this UI knows of the fleet (GET /api/fleet): asked once per page load.
export const fleetInfo = fetch('/api/fleet').then((r) => (r.ok ? r.json() : null)).catch(() => null);

// Browser tests of flightrec's UI in Debian's headless Chromium, driven by
// playwright-core: the real recorder (kernel capture on, so run as root)
// with its demo service. Checks that the incident list shows the demo's
// incidents, that an incident page shows the verdict, the timeline and the
// flame graph, that a p99 rule added in the form appears and fires, that the
// downloaded snapshot opens with `flightrec inspect`, and that a span named
// <img src=x onerror=alert(1)> shows as text. Screenshots go to a folder
// printed at the end.
//
// usage: node ui_test.mjs   (FLIGHTREC_BIN = path of the flightrec binary)
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { freePorts } from '../otel/harness.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const bin = process.env.FLIGHTREC_BIN || path.resolve(here, '../../build/flightrec');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'fr-ui-'));
const shots = path.join(work, 'screenshots');
fs.mkdirSync(shots);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let failures = 0;
function check(ok, what) {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures++;
}

const [webPort, otlpPort] = await freePorts(2);
const base = `http://127.0.0.1:${webPort}`;
const fr = spawn(bin, ['run', '--demo', '--data-dir', path.join(work, 'data'), '-m', '64',
  '--web-listen', `127.0.0.1:${webPort}`, '--otlp-listen', `127.0.0.1:${otlpPort}`, '-i', '0'],
{ stdio: ['ignore', 'ignore', fs.openSync(path.join(work, 'recorder.log'), 'w')] });
let frExited = false;
fr.on('exit', () => { frExited = true; });
// The UI needs a token by default: a person opens the address the recorder
// prints, with the token in it; scripts send it as a bearer token.
let token = null;
for (let i = 0; !token; i++) {
  const m = /UI on http:\/\/[^/]+\/\?token=([0-9a-f]{64})/.exec(fs.readFileSync(path.join(work, 'recorder.log'), 'utf8'));
  if (m) token = m[1];
  else if (i > 100 || frExited) { console.error('flightrec did not start; see ' + work + '/recorder.log'); process.exit(1); }
  else await sleep(100);
}
async function api(p, opts = {}) {
  const r = await fetch(base + p, { ...opts, headers: { ...(opts.headers || {}), Authorization: 'Bearer ' + token } });
  return r.json();
}
for (let i = 0; ; i++) {
  try { await api('/api/status'); break; } catch { /* not up yet */ }
  if (i > 100 || frExited) { console.error('flightrec did not start; see ' + work + '/recorder.log'); process.exit(1); }
  await sleep(100);
}
check((await fetch(base + '/api/status')).status === 401, 'without the token the API answers 401');

// Spans of our own, over OTLP JSON, client kind (the default p99 rule is for servers).
let idn = 1;
async function sendSpan(name, durMs) {
  const end = BigInt(Date.now()) * 1000000n;
  const start = end - BigInt(Math.round(durMs * 1e6));
  const hex = (n, w) => n.toString(16).padStart(w, '0');
  const span = { traceId: hex(0xabc0000 + idn, 32), spanId: hex(idn, 16), name, kind: 3,
    startTimeUnixNano: start.toString(), endTimeUnixNano: end.toString() };
  idn++;
  const body = { resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'uitest' } }] },
    scopeSpans: [{ spans: [span] }] }] };
  const r = await fetch(`http://127.0.0.1:${otlpPort}/v1/traces`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  if (!r.ok) throw new Error('OTLP ' + r.status);
}

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--disable-quic'] });
const context = await browser.newContext({ viewport: { width: 1300, height: 1000 }, acceptDownloads: true });
const page = await context.newPage();
const pageErrors = [];
let dialogs = 0;
page.on('pageerror', (e) => pageErrors.push(e.message));
page.on('dialog', async (d) => { dialogs++; await d.dismiss(); });

// 1. The demo's incidents appear in the list without a reload.
await page.goto(base + '/?token=' + token); // the printed address: sets the cookie, then /
let rows = 0;
for (let i = 0; i < 120 && rows < 2; i++) {
  await sleep(1000);
  rows = await page.locator('#incident-rows tr[data-id]').filter({ hasText: 'shop' }).count();
}
check(rows >= 2, `the list shows the demo's incidents (${rows} rows of service shop)`);
await page.screenshot({ path: path.join(shots, '1-incidents.png'), fullPage: true });

// 2. An incident with blocking: verdict, timeline, flame graph.
let target = null;
for (let i = 0; i < 60 && !target; i++) {
  const list = await api('/api/incidents?service=shop&min_ms=60');
  // one whose chain went into the thread that woke it, when there is one
  target = list.incidents.find((s) => s.kernel_context && /blocked in futex.* woke it, which/.test(s.verdict)) ||
    (i > 30 && list.incidents.find((s) => s.kernel_context && /blocked in (futex|clock_nanosleep|fsync)/.test(s.verdict)));
  if (!target) await sleep(1000);
}
check(!!target, 'the demo produced an incident blocked in a syscall');
if (target) {
  await page.locator(`#incident-rows tr[data-id="${target.id}"]`).click().catch(async () => page.goto(base + '/incidents/' + target.id));
  await page.waitForSelector('#verdict');
  const verdict = await page.textContent('#verdict');
  check(verdict === target.verdict, `the incident page shows the verdict: "${verdict}"`);
  const proc = await page.textContent('#process').catch(() => '');
  check(/pid \d+ · found by process\.pid · cgroup \//.test(proc),
    `the incident page says which process, how it was found, and its cgroup: "${proc}"`);
  const states = await page.locator('#timeline rect[class^="state-"]').count();
  check(states > 0, `the timeline has thread lanes (${states} state slices)`);
  const syscalls = await page.locator('#timeline rect.syscall').count();
  check(syscalls > 0, `the timeline shows syscalls (${syscalls})`);
  const chain = await page.locator('#chain tr').count();
  check(chain > 0, `the incident page lists the wake-up chain (${chain} segments)`);
  const pathSegs = await page.locator('#timeline rect.path-seg').count();
  check(pathSegs > 0, `the timeline draws the critical path (${pathSegs} segments)`);
  if (/ woke it, which/.test(target.verdict)) {
    const lanesN = await page.locator('#timeline text.path-label').count();
    const handoffs = await page.locator('#timeline line.handoff').count();
    const listed = await page.locator('#chain tr.handoff').count();
    check(lanesN >= 2 && handoffs >= 1 && listed >= 1,
      `the waker has its lane below the span's thread, the hand-off marked (${lanesN} lanes, ${handoffs} hand-offs drawn, ${listed} listed)`);
  }
  const flames = await page.locator('#flame rect').count();
  check(flames > 3, `the flame graph has frames (${flames})`);
  check(await page.locator('#dl-pprof').count() === 1, 'the incident page offers the CPU profile (pprof)');
  await page.screenshot({ path: path.join(shots, '2-incident.png'), fullPage: true });

  // 4. The snapshot download opens with flightrec inspect.
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#dl-snapshot')]);
  const file = path.join(work, dl.suggestedFilename());
  await dl.saveAs(file);
  check(file.endsWith('.frsnap'), `the download is named ${path.basename(file)}`);
  let out = '';
  try { out = execFileSync(bin, ['inspect', file], { encoding: 'utf8' }); } catch (e) { out = ''; }
  check(out.includes(target.verdict), 'flightrec inspect opens the downloaded snapshot and prints its verdict');
}

// 2b. An incident that computed (the demo's /recommendations): its hot
// function in the verdict, its on-CPU samples as a flame graph next to the
// blocking stacks. One whose time went on CPU: on a machine as busy as the
// sanitizer build's, a request can spend its time waiting for a CPU
// instead, and its verdict rightly says so.
{
  let cpuInc = null;
  for (let i = 0; i < 60 && !cpuInc; i++) {
    const list = await api('/api/incidents?service=shop&limit=500');
    cpuInc = list.incidents.find((s) => s.kernel_context && s.name.includes('recommendations') &&
      s.duration_ms >= 200 && /^\d+% of \S+ \S+ on CPU/.test(s.verdict));
    if (!cpuInc) await sleep(1000);
  }
  check(!!cpuInc, 'the demo produced an incident that computed (/recommendations)');
  check(cpuInc && /on CPU.*% of it in score_recommendations/.test(cpuInc.verdict),
    `its verdict names the hot function: "${cpuInc && cpuInc.verdict}"`);
  if (cpuInc) {
    await page.goto(base + '/incidents/' + cpuInc.id);
    await page.waitForSelector('#verdict');
    const cpuRects = await page.locator('#cpu-flame rect').count();
    check(cpuRects > 3, `the on-CPU flame graph has frames (${cpuRects})`);
    await page.screenshot({ path: path.join(shots, '2b-incident-cpu.png'), fullPage: true });
  }
}

// 3. A p99 rule added in the form appears in the list and fires.
await page.goto(base + '/triggers');
await page.waitForSelector('#rule-form');
await page.selectOption('#rule-type', 'p');
await page.fill('#rule-value', '99');
await page.fill('#rule-service', 'uitest');
await page.fill('#rule-name', 'GET /p99');
await page.click('#rule-form button[type=submit]');
await page.waitForFunction(() => document.querySelector('#rule-rows')?.textContent.includes("name='GET /p99'"));
const ruleRow = page.locator('#rule-rows tr', { hasText: "name='GET /p99'" });
check(await ruleRow.count() === 1, 'the new p99 rule appears in the rules list');
const ruleId = await ruleRow.getAttribute('data-rule');
for (let i = 0; i < 150; i++) await sendSpan('GET /p99', 4 + (i % 10) * 0.2);
await sendSpan('GET /p99', 400);
let fired = false;
for (let i = 0; i < 50 && !fired; i++) {
  await sleep(200);
  const r = await api('/api/rules');
  fired = r.rules.some((x) => String(x.id) === ruleId && x.fired >= 1);
}
check(fired, 'the p99 rule fired on a 400 ms span after 150 of ~5 ms');
// its incident is committed after the snapshot of the sender's process
// (spans without process.pid are the sender's): wait for it
let p99incident;
for (let i = 0; i < 50 && !p99incident; i++) {
  p99incident = (await api('/api/incidents?service=uitest&name=GET%20/p99')).incidents[0];
  if (!p99incident) await sleep(200);
}
check(p99incident && /p99/.test(p99incident.rule), `its incident names the p99 rule: ${JSON.stringify(p99incident)}`);
await sleep(2500); // the rules table refreshes every 2 s
check(/\b1\b/.test(await ruleRow.locator('td').nth(2).textContent()), 'the rules list shows its capture');
await page.screenshot({ path: path.join(shots, '3-triggers.png'), fullPage: true });

// 5. A hostile span name shows as text.
const evil = '<img src=x onerror=alert(1)>';
await api('/api/rules', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ rule: 'threshold=100ms,service=uitest,kind=client' }) });
await sendSpan(evil, 300);
await page.goto(base + '/');
let evilRow = null;
for (let i = 0; i < 50 && !evilRow; i++) {
  await sleep(200);
  const loc = page.locator('#incident-rows tr', { hasText: evil });
  if (await loc.count()) evilRow = loc.first();
}
check(!!evilRow, 'the incident with the HTML span name is listed, its name as text');
check(await page.locator('#incident-rows img').count() === 0, 'no <img> element was created from it');
if (evilRow) {
  await evilRow.click();
  await page.waitForSelector('#verdict');
  const h1 = await page.textContent('h1');
  check(h1.includes(evil), 'the incident page shows the name as text');
  check(await page.locator('main img').count() === 0, 'and creates no <img> from it');
}
await sleep(500);
check(dialogs === 0, 'no script ran from a span name (no alert dialog)');
await page.screenshot({ path: path.join(shots, '4-escaped.png'), fullPage: true });

// 6. The status page.
await page.goto(base + '/status');
await page.waitForSelector('#status .card');
const status = await page.textContent('#status');
check(/ring coverage/.test(status) && /events\/s/.test(status), 'the status page shows ring coverage and events/s');
await page.screenshot({ path: path.join(shots, '5-status.png'), fullPage: true });

// 7. Problems: the demo's repeated anomalies grouped by cause. Each kind of
// anomaly lives on its own operation; once one has come back, all of its
// incidents (those whose verdict names the same kind) share one signature.
const kinds = [['POST /checkout', /fsync/], ['GET /api/cart', /futex/], ['GET /api/products', /clock_nanosleep|timer/]];
let grouped = null;
for (let i = 0; i < 150 && !grouped; i++) {
  const list = (await api('/api/incidents?service=shop&limit=500')).incidents;
  for (const [op, re] of kinds) {
    // the verdict's own cause, not the comparison with normal spans after it
    const of = list.filter((s) => s.name === op && s.kernel_context &&
      re.test(s.verdict.split('; against normal spans')[0]));
    if (of.length >= 2) { grouped = { op, of }; break; }
  }
  if (!grouped) await sleep(400);
}
check(!!grouped, 'a demo anomaly came back (two incidents of one kind)');
if (grouped) {
  const sigs = new Set(grouped.of.map((s) => s.signature));
  check(sigs.size === 1, `its ${grouped.op} incidents (${grouped.of.length}) share one signature: ${[...sigs].join(', ')}`);
  // and so does every other kind that came back by now: one group per kind
  const list = (await api('/api/incidents?service=shop&limit=500')).incidents;
  for (const [op, re] of kinds) {
    const of = list.filter((s) => s.name === op && s.kernel_context && re.test(s.verdict.split('; against normal spans')[0]));
    if (of.length < 2 || op === grouped.op) continue;
    const ks = new Set(of.map((s) => s.signature));
    check(ks.size === 1, `the ${op} anomaly's ${of.length} incidents share one signature too (${[...ks].join(', ')})`);
  }
  await page.goto(base + '/problems');
  await page.waitForSelector('#problem-rows tr');
  const row = page.locator(`#problem-rows tr[data-signature="${[...sigs][0]}"]`);
  check(await row.count() === 1, 'the Problems view lists that group');
  const count = parseInt(await row.locator('td.count').textContent(), 10);
  check(count >= 2, `with its count (${count})`);
  const occ = await row.evaluate((tr) => { const c = tr.querySelector('canvas.occurrences'); return c && c.chart ? c.chart.data.datasets[0].data.reduce((a, b) => a + b, 0) : -1; });
  check(occ >= 2, `and a chart of its occurrences over time (${occ} in the last day)`);
  const rows = await page.locator('#problem-rows tr').count();
  check(rows >= 1, `the Problems view lists the demo's groups (${rows})`);
  await page.screenshot({ path: path.join(shots, '6-problems.png'), fullPage: true });
  await row.click();
  await page.waitForSelector('#problem-incidents tr');
  const listed = await page.locator('#problem-incidents tr').count();
  check(listed >= 2, `the problem page lists its incidents (${listed})`);
  await page.locator('#problem-incidents tr').first().click();
  await page.waitForFunction(() => /Seen \d+ times since|First time/.test(document.querySelector('#recurrence')?.textContent || ''));
  const rec = await page.textContent('#recurrence');
  check(/Seen \d+ times since .*\(same cause\)/.test(rec), `an incident page says how often its cause was seen: "${rec}"`);
}

// 8. An incident compared with its operation's normal spans: the chart.
let compared = null;
for (let i = 0; i < 120 && !compared; i++) {
  const list = (await api('/api/incidents?service=shop&limit=20')).incidents.filter((s) => s.kernel_context);
  for (const s of list) {
    const one = await api('/api/incidents/' + s.id);
    if (one.snapshot.comparison && one.snapshot.comparison.samples > 0) { compared = one; break; }
  }
  if (!compared) await sleep(500);
}
check(!!compared, 'an incident of the demo was compared with normal spans of its operation');
if (compared) {
  await page.goto(base + '/incidents/' + compared.summary.id);
  await page.waitForSelector('#comparison-chart');
  const chart = await page.evaluate(() => {
    const c = document.querySelector('#comparison-chart').chart;
    return c ? { sets: c.data.datasets.length, bars: c.data.labels.length, drawn: c.canvas.width > 0 } : null;
  });
  check(chart && chart.sets === 2 && chart.bars >= 1 && chart.drawn,
    `the incident page draws the comparison chart (${JSON.stringify(chart)})`);
  const text = await page.textContent('#comparison-text');
  check(/normal span/.test(text), `and says it in words: "${text}"`);
  await page.screenshot({ path: path.join(shots, '7-comparison.png'), fullPage: true });
}

// 9. An operation's latency chart: dots, the incidents marked; clicking one
// opens it.
{
  const op = compared ? compared.summary.name : 'POST /checkout';
  await page.goto(base + '/operation?' + new URLSearchParams({ service: 'shop', name: op }));
  await page.waitForSelector('#op-chart');
  const info = await page.evaluate(() => {
    const c = document.querySelector('#op-chart').chart;
    if (!c) return null;
    const sets = c.data.datasets;
    const di = sets.findIndex((d) => d.label === 'incidents');
    const pt = di >= 0 && c.getDatasetMeta(di).data[0];
    return { dots: sets.find((d) => d.label === 'spans').data.length, incidents: di >= 0 ? sets[di].data.length : 0,
      lines: sets.filter((d) => d.type === 'line').map((d) => d.label),
      x: pt ? pt.x : null, y: pt ? pt.y : null, id: di >= 0 && sets[di].data[0] ? sets[di].data[0].id : null };
  });
  check(info && info.dots > 0 && info.lines.includes('p50') && info.lines.includes('p99'),
    `the operation chart shows the spans as dots with p50 and p99 (${JSON.stringify(info && { dots: info.dots, lines: info.lines })})`);
  check(info && info.incidents >= 1, `and its incidents marked (${info && info.incidents})`);
  await page.screenshot({ path: path.join(shots, '8-operation.png'), fullPage: true });
  if (info && info.id) {
    // where the marker is once the chart has settled (it animates in), a
    // few tries; a marker on top of another opens that one: any of them
    let opened = null;
    const opUrl = page.url();
    for (let attempt = 0; attempt < 3 && !opened; attempt++) {
      if (page.url() !== opUrl) {
        await page.goto(opUrl);
        await page.waitForSelector('#op-chart');
      }
      await sleep(700);
      const at = await page.evaluate(() => {
        const c = document.querySelector('#op-chart').chart;
        const di = c.data.datasets.findIndex((d) => d.label === 'incidents');
        const pt = c.getDatasetMeta(di).data[0];
        return { x: pt.x, y: pt.y, ids: c.data.datasets[di].data.map((d) => d.id) };
      });
      const box = await page.locator('#op-chart').boundingBox();
      await page.mouse.click(box.x + at.x, box.y + at.y);
      await page.waitForURL('**/incidents/*', { timeout: 3000 }).catch(() => {});
      const m = page.url().match(/\/incidents\/([0-9a-f]+)$/);
      if (m && at.ids.includes(m[1])) opened = m[1];
    }
    check(opened !== null, `clicking an incident opens it (${page.url()})`);
  }
}

// 10. Pictures of the recorder: incidents over time on the list page, the
// status figures of the last hour.
await page.goto(base + '/');
await page.waitForFunction(() => document.querySelector('#incidents-chart')?.chart);
const perMinute = await page.evaluate(() => document.querySelector('#incidents-chart').chart.data.datasets[0].data);
const shown = perMinute.reduce((a, p) => a + p.y, 0);
check(perMinute.length === 60 && shown >= 1, `the list page charts incidents per minute (${shown} in the last hour)`);
let sparks = null;
for (let i = 0; i < 30; i++) {
  await page.goto(base + '/status');
  await page.waitForSelector('#status .card');
  await sleep(300);
  sparks = await page.evaluate(() => [...document.querySelectorAll('#status-history canvas')]
    .map((c) => ({ id: c.id, points: c.chart ? c.chart.data.datasets[0].data.length : 0 })));
  if (sparks.length === 4 && sparks.every((x) => x.points >= 2)) break;
  await sleep(1000);
}
check(sparks && sparks.length === 4 && sparks.every((x) => x.points >= 2),
  `the status page draws events/s, spans/s, incidents and ring coverage over time (${JSON.stringify(sparks)})`);
await page.screenshot({ path: path.join(shots, '9-status-history.png'), fullPage: true });

check(pageErrors.length === 0, 'no script errors in the pages' + (pageErrors.length ? ': ' + pageErrors.join('; ') : ''));
await browser.close();
fr.kill('SIGTERM');
await new Promise((r) => (frExited ? r() : fr.on('exit', r)));
console.log(`ui: screenshots in ${shots}`);
console.log(failures ? `ui: ${failures} checks failed` : 'ui: all checks passed');
process.exit(failures ? 1 : 0);

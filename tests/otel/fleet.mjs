// One slow trace across three "hosts" (run by test_fleet, as root): three
// network namespaces on a bridge, each with a service instrumented with the
// official OpenTelemetry JS SDK (fleet_service.mjs) and its own flightrec
// following only its namespace (--follow-scope netns), all joined over a
// real nats-server with JetStream and accounts. The services call each
// other over HTTP, A -> B -> C; on chosen requests C fsyncs a file.
// Since every recorder follows only its own namespace, what a node learns
// about another's part can only come over NATS.
//
// usage: node fleet.mjs CASE
//   chain      only A has a rule: A's incident names C's file and node
//              through B; B and C hold incidents that belong to it; fast
//              traces get no incident anywhere; the fleet view (`flightrec
//              fleet`) lists the three parts under the trace, the nodes and
//              problems, and fetches C's snapshot from node-c (and says so
//              when node-c is gone)
//   backward   a rule on B only: A (its caller) and C are captured too
//   late       A waits 1 ms only: B's answer comes later and still
//              updates A's stored incident and its verdict (B, past A's
//              deadline, asks nobody further)
//   hops       --fleet-max-hops 1 on A: B does not ask C, and says why;
//              a cycle A -> B -> A ends cleanly
//   failures   C's recorder killed with -9: B says C did not answer; the
//              NATS server killed: local incidents go on and the failure
//              is counted; restarted: the fleet reconnects and captures
//   security   a user of another account gets no answer and captures
//              nothing; a node cannot ask as another node
// Prints what it checks; exits 1 on the first failure.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect, StringCodec } from 'nats';
import { children, sleep, start } from './harness.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../..');
const bin = process.env.FLIGHTREC_BIN || path.join(repo, 'build/flightrec');
const hostsTool = path.join(repo, 'tests/fleet/hosts');
const kase = process.argv[2] || 'chain';
const tag = `frf${process.pid % 100000}`;
const work = fs.mkdtempSync('/var/tmp/fr-fleet-');
fs.chmodSync(work, 0o755);
const NODES = ['a', 'b', 'c'];
const TOKEN = 'fleet-test-token-0123456789abcdef0123456789';

let failed = false;
function check(ok, what, detail) {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${kase}: ${what}${ok || detail === undefined ? '' : ` -- ${detail}`}`);
  if (!ok) failed = true;
  return ok;
}

function cleanup() {
  for (const c of children) { try { c.kill('SIGKILL'); } catch { /* gone */ } }
  try { execFileSync(hostsTool, ['down', tag, '3'], { stdio: 'ignore' }); } catch { /* gone */ }
  fs.rmSync(work, { recursive: true, force: true });
}
process.on('exit', cleanup);
process.on('SIGINT', () => process.exit(1));

const bridge = execFileSync(hostsTool, ['up', tag, '3']).toString().trim();
const prefix = bridge.replace(/\.254$/, '');
const ipOf = (n) => `${prefix}.${NODES.indexOf(n) + 1}`;
const natsPort = 14000 + (process.pid % 1000);
const hostList = NODES.map((n) => `${n}=${ipOf(n)}:9000`).join(',');

// ---- nats-server: JetStream, one account for the fleet, another for strangers ----
function nodeUser(n) {
  return `{ user: "node-${n}", password: "pw-${n}", permissions: {
      publish: { allow: ["flightrec.capture.*.node-${n}", "flightrec.broadcast.node-${n}",
                         "flightrec.snapshot.*.node-${n}", "flightrec.incidents.node-${n}",
                         "$KV.flightrec_nodes.node-${n}", "$JS.API.>"] },
      subscribe: { allow: ["flightrec.capture.node-${n}.*", "flightrec.broadcast.*",
                           "flightrec.snapshot.node-${n}.*", "_INBOX.>"] },
      allow_responses: true } }`;
}
const natsMon = natsPort + 1000;
fs.writeFileSync(path.join(work, 'nats.conf'), `
listen: "${bridge}:${natsPort}"
http: "${bridge}:${natsMon}"
server_name: fr_fleet_test
jetstream { store_dir: "${work}/js", max_memory_store: 64MB, max_file_store: 1GB }
accounts {
  FLEET {
    jetstream: enabled
    users: [
      ${NODES.map(nodeUser).join('\n      ')}
      { user: "fleet-ui", password: "pw-ui", permissions: {
          publish: { allow: ["flightrec.snapshot.*.fleet-ui", "$JS.API.>"] },
          subscribe: { allow: ["_INBOX.>"] }, allow_responses: true } }
    ]
  }
  OTHER { users: [ { user: "stranger", password: "pw-x" } ] }
}
`);
let natsProc = null;
async function startNats() {
  natsProc = spawn('nats-server', ['-c', path.join(work, 'nats.conf')], { stdio: 'ignore' });
  children.push(natsProc);
  for (let i = 0; i < 100; i++) {
    const up = await new Promise((r) => {
      const s = net.connect(natsPort, bridge, () => { s.end(); r(true); });
      s.on('error', () => r(false));
    });
    if (up) return;
    await sleep(100);
  }
  throw new Error('nats-server did not come up');
}

// ---- the recorders and services ----
const recorders = {};
async function api(n, url) {
  const r = await fetch(`http://${ipOf(n)}:8080${url}`, { headers: { Authorization: `Bearer ${TOKEN}` } });
  return r.json();
}
async function startRecorder(n, args = []) {
  const argv = ['netns', 'exec', `${tag}-${n}`, bin, 'run', '--follow-scope', 'netns',
    '--nats', `nats://node-${n}:pw-${n}@${bridge}:${natsPort}`, '--node', `node-${n}`,
    '--data-dir', path.join(work, `data-${n}`), '--web-listen', `${ipOf(n)}:8080`,
    '--auth-token', TOKEN, '--otlp-listen', '127.0.0.1:4318', '--no-baselines', '-i', '0',
    ...args];
  const p = spawn('ip', argv, { stdio: ['ignore', 'ignore', fs.openSync(path.join(work, `rec-${n}.log`), 'a')] });
  children.push(p);
  recorders[n] = p;
  for (let i = 0; i < 150; i++) {
    try { await api(n, '/api/status'); return p; } catch { /* not yet */ }
    await sleep(100);
  }
  throw new Error(`recorder ${n} did not come up`);
}
// the fleet view: no capture, on the bridge's address
const VIEW = { ip: null, port: 8090 };
async function startFleetView() {
  VIEW.ip = bridge;
  const p = spawn(bin, ['fleet', '--nats', `nats://fleet-ui:pw-ui@${bridge}:${natsPort}`,
    '--web-listen', `${bridge}:${VIEW.port}`, '--auth-token', TOKEN, '--data-dir', work],
  { stdio: ['ignore', 'ignore', fs.openSync(path.join(work, 'fleet-view.log'), 'a')] });
  children.push(p);
  for (let i = 0; i < 100; i++) {
    try { await viewApi('/api/fleet'); return p; } catch { /* not yet */ }
    await sleep(100);
  }
  throw new Error('the fleet view did not come up');
}
async function viewApi(url) {
  const r = await fetch(`http://${VIEW.ip}:${VIEW.port}${url}`, { headers: { Authorization: `Bearer ${TOKEN}` } });
  return r.json();
}
async function viewRaw(url) {
  const r = await fetch(`http://${VIEW.ip}:${VIEW.port}${url}`, { headers: { Authorization: `Bearer ${TOKEN}` } });
  return { status: r.status, body: Buffer.from(await r.arrayBuffer()) };
}

async function startService(n) {
  return start('ip', ['netns', 'exec', `${tag}-${n}`, 'node', path.join(here, 'fleet_service.mjs'), n, '9000',
    'http://127.0.0.1:4318/v1/traces', work, hostList], { cwd: here });
}
// every recorder sees every other in the registry
async function waitRegistry(names, want) {
  for (let i = 0; i < 100; i++) {
    const st = await Promise.all(names.map((n) => api(n, '/api/status')));
    if (st.every((s) => s.fleet && s.fleet.connected && s.fleet.nodes >= want)) return true;
    await sleep(200);
  }
  return false;
}
async function request(pathList, slow, ms = 300) {
  const r = await fetch(`http://${ipOf('a')}:9000/work?path=${pathList}&slow=${slow}&ms=${ms}`);
  await r.text();
  return r.headers.get('x-trace-id');
}
async function incidentsOf(n, trace) {
  return (await api(n, `/api/incidents?trace_id=${trace}`)).incidents;
}
async function waitIncidents(n, trace, count = 1, ms = 15000, pred = () => true) {
  for (let t = 0; t < ms; t += 250) {
    const inc = (await incidentsOf(n, trace)).filter(pred);
    if (inc.length >= count) return inc;
    await sleep(250);
  }
  return incidentsOf(n, trace);
}
async function setup(rules, extra = {}, warm = true) {
  await startNats();
  for (const n of NODES) await startRecorder(n, [...(rules[n] || []).flatMap((r) => ['--rule', r]), ...(extra[n] || [])]);
  for (const n of NODES) await startService(n);
  check(await waitRegistry(NODES, 3), 'every node sees the three in the registry');
  // warm the SDKs' exporters up: their spans reach the recorders from here on
  for (let i = 0; i < 5; i++) await request('b,c', 'none');
  // and one slow request: each node's first snapshot of a process is slow
  // (it loads the process's modules for unwinding; bench/run fleet reports
  // it as fleet.hop_first_ms), and a loaded machine can push it past the wait
  if (warm) {
    await request('b,c', 'c', 200);
    await sleep(2500);
  } else {
    await sleep(1500);
  }
}
const SERVER_RULE = (svc) => `threshold=150ms,service=${svc},name=GET /work,kind=server,cooldown=0s`;
const part = (inc, node) => (inc.remote || []).find((p) => p.node === node);

// ---- the cases ----
async function chain() {
  await setup({ a: [SERVER_RULE('svc-a')] });
  const fast = [];
  for (let i = 0; i < 5; i++) fast.push(await request('b,c', 'none'));
  const trace = await request('b,c', 'c');
  let [ia] = await waitIncidents('a', trace);
  if (!check(!!ia, 'A has an incident for the slow trace')) return;
  // on a loaded machine B may answer after A's wait: its late answer
  // completes the stored incident
  for (let i = 0; i < 20 && !/answered|late/.test((part(ia, 'node-b') || {}).state); i++) {
    await sleep(250);
    [ia] = await incidentsOf('a', trace);
  }
  console.log(`     A's verdict: ${ia.verdict}`);
  check(/on node-b/.test(ia.verdict) && /svc-b/.test(ia.verdict), "A's verdict names B's service and node", ia.verdict);
  check(/on node-c/.test(ia.verdict) && /fsync\(.*c\.dat\)/.test(ia.verdict),
    "A's verdict names C's node and the file C fsync'd, through B", ia.verdict);
  const pb = part(ia, 'node-b'), pc = part(ia, 'node-c');
  check(pb && /answered|late/.test(pb.state), "A's part on node-b answered", JSON.stringify(pb));
  check(pc && /answered|late/.test(pc.state) && pc.via === 'node-b', "A's part on node-c answered, through node-b", JSON.stringify(pc));
  const [ib] = await incidentsOf('b', trace), [ic] = await incidentsOf('c', trace);
  check(ib && ib.part_of && ib.part_of.node === 'node-a' && ib.part_of.incident === ia.id,
    "B's incident is part of A's", JSON.stringify(ib && ib.part_of));
  check(ib && pb && pb.incident === ib.id, "A's part names B's incident");
  check(ic && ic.part_of && ic.part_of.node === 'node-b' && ic.part_of.incident === (ib && ib.id),
    "C's incident is part of B's", JSON.stringify(ic && ic.part_of));
  check(ic && /fsync\(.*c\.dat\)/.test(ic.verdict), "C's verdict is its fsync", ic && ic.verdict);
  check(ic && ic.service === 'svc-c' && ic.name === 'GET /work', "C's part is its own span of the trace", ic && `${ic.service} ${ic.name}`);
  for (const n of NODES) {
    let any = 0;
    for (const t of fast) any += (await incidentsOf(n, t)).length;
    check(any === 0, `no incident on node-${n} for the fast traces`, any);
  }
  const st = await api('a', '/api/status');
  check(st.fleet.requests_sent >= 1 && st.fleet.answers + st.fleet.late >= 1, 'A counts its request and the answer', JSON.stringify(st.fleet));
  // the fleet view: the three parts under one trace, the nodes, problems
  await startFleetView();
  let parts = [];
  for (let i = 0; i < 60 && parts.length < 3; i++) {
    parts = (await viewApi(`/api/incidents?trace_id=${trace}`)).incidents;
    if (parts.length < 3) await sleep(250);
  }
  check(parts.map((p) => p.node).sort().join() === 'node-a,node-b,node-c',
    'the fleet view lists the three parts under the trace', JSON.stringify(parts.map((p) => p.node)));
  const fl = await viewApi('/api/fleet');
  check(fl.view && fl.nodes.length === 3 && fl.nodes.every((x) => x.heartbeat_age_s < 30 && x.version),
    'the fleet view lists the nodes with their heartbeats and versions', JSON.stringify(fl.nodes));
  const pr = await viewApi('/api/problems');
  check((pr.problems || []).length >= 3, 'problems are counted across the fleet', JSON.stringify(pr).slice(0, 300));
  const onC = parts.find((p) => p.node === 'node-c');
  if (onC) {
    const page = await viewApi(`/api/incidents/${onC.id}`);
    check(page.snapshot && page.snapshot.window && page.snapshot.window.kernel_context,
      "C's incident page in the fleet view has its snapshot, fetched from node-c", JSON.stringify(page).slice(0, 300));
    const dl = await viewRaw(`/api/incidents/${onC.id}/snapshot`);
    check(dl.status === 200 && dl.body.subarray(0, 8).toString() === 'FRSNAP01', 'and its .frsnap downloads', dl.status);
    const pf = await viewRaw(`/api/incidents/${onC.id}/perfetto`);
    check(pf.status === 200 && /traceEvents/.test(pf.body.toString()), 'and its Perfetto trace', pf.status);
    await browserChecks(trace, ia);
    // node-c gone: the page says so
    recorders.c.kill('SIGKILL');
    await sleep(300);
    const gone = await viewApi(`/api/incidents/${onC.id}`);
    check(gone.snapshot === null && /node-c does not answer/.test(gone.snapshot_error || ''),
      'with node-c gone, its page says the snapshot is not available and why', JSON.stringify(gone).slice(0, 300));
  }
  const m = await (await fetch(`http://${ipOf('a')}:8080/metrics`, { headers: { Authorization: `Bearer ${TOKEN}` } })).text();
  check(/flightrec_fleet_requests_sent_total [1-9]/.test(m), '/metrics has the fleet counters');
}

// In Debian's Chromium (headless, playwright-core from tests/ui): A's
// incident page draws a lane per remote part named after its node, linked
// to the incident there; the fleet view lists the trace's parts and the
// nodes.
async function browserChecks(trace, ia) {
  const { chromium } = await import(path.join(repo, 'tests/ui/node_modules/playwright-core/index.mjs'));
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-quic'] }); // a fresh profile
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const ui = `http://${ipOf('a')}:8080`;
    await page.goto(`${ui}/?token=${TOKEN}`);
    await page.goto(`${ui}/incidents/${ia.id}`);
    await page.waitForSelector('#remote-lanes', { timeout: 10000 });
    const lanes = await page.locator('#remote-lanes text').allTextContents();
    check(lanes.some((t) => /node-b: svc-b/.test(t)) && lanes.some((t) => /node-c: svc-c/.test(t)),
      "A's incident page draws lanes named after node-b and node-c", JSON.stringify(lanes));
    const href = await page.locator('#remote-parts tr[data-node="node-b"] a').first().getAttribute('href');
    const pb = part(ia, 'node-b');
    check(href === `${pb.ui}/incidents/${pb.incident}`, "node-b's lane links to its incident on node-b's UI", href);
    const view = `http://${VIEW.ip}:${VIEW.port}`;
    await page.goto(`${view}/?token=${TOKEN}`);
    await page.goto(`${view}/?trace_id=${trace}`);
    await page.waitForFunction(() => document.querySelectorAll('#incident-rows tr').length >= 3, null, { timeout: 10000 });
    const nodesCol = await page.locator('#incident-rows td.node').allTextContents();
    check(['node-a', 'node-b', 'node-c'].every((n) => nodesCol.some((t) => t.startsWith(n))),
      'the fleet view page lists the trace\'s parts with their nodes', JSON.stringify(nodesCol));
    await page.goto(`${view}/fleet`);
    await page.waitForFunction(() => document.querySelectorAll('#node-rows tr[data-node]').length >= 3, null, { timeout: 10000 });
    check(!(await page.locator('#nav-fleet').isHidden()), 'the fleet view shows its Fleet page in the navigation');
    check(errors.length === 0, 'no script errors on those pages', errors.join('; '));
  } finally {
    await browser.close();
  }
}

async function backward() {
  await setup({ b: [SERVER_RULE('svc-b')] });
  const trace = await request('b,c', 'c');
  const [ib] = await waitIncidents('b', trace, 1, 15000, (i) => !i.part_of);
  if (!check(!!ib, 'B has an incident for the slow trace')) return;
  console.log(`     B's verdict: ${ib.verdict}`);
  check(/on node-c/.test(ib.verdict) && /c\.dat/.test(ib.verdict), "B's verdict goes on into C's fsync", ib.verdict);
  const pa = part(ib, 'node-a'), pc = part(ib, 'node-c');
  check(pa && ['answered', 'merged'].includes(pa.state), 'its caller A took its part (backward breadcrumb)', JSON.stringify(ib.remote));
  check(pc && pc.state === 'answered', 'C took its part (forward breadcrumb)', JSON.stringify(pc));
  const [ia] = await waitIncidents('a', trace);
  check(ia && ia.part_of && ia.part_of.node === 'node-b', "A's incident is part of B's", JSON.stringify(ia && ia.part_of));
  const [ic] = await waitIncidents('c', trace);
  check(ic && ic.part_of && ic.part_of.node === 'node-b', "C's incident is part of B's", JSON.stringify(ic && ic.part_of));
}

async function late() {
  // 1 ms: shorter than any node takes to snapshot its part
  await setup({ a: [SERVER_RULE('svc-a')] }, { a: ['--fleet-wait', '1ms'] });
  const trace = await request('b,c', 'c');
  const [ia] = await waitIncidents('a', trace);
  if (!check(!!ia, 'A has an incident for the slow trace')) return;
  // stored at once, saying B had not answered; B's answer then updates it
  let upd = ia;
  for (let i = 0; i < 40 && !(part(upd, 'node-b') || {}).state?.match(/late|answered/); i++) {
    await sleep(250);
    [upd] = await incidentsOf('a', trace);
  }
  const pb = part(upd, 'node-b');
  check(pb && pb.state === 'late', "B's answer arrived late and is kept", JSON.stringify(pb));
  check(/svc-b \(pid \d+\) on node-b, where/.test(upd.verdict) && !/did not answer/.test(upd.verdict),
    'the stored verdict now goes on into B', upd.verdict);
  const st = await api('a', '/api/status');
  check(st.fleet.late >= 1, 'A counts the late answer', JSON.stringify(st.fleet));
}

async function hops() {
  await setup({ a: [SERVER_RULE('svc-a')] }, { a: ['--fleet-max-hops', '1'] });
  const trace = await request('b,c', 'c');
  const [ia] = await waitIncidents('a', trace);
  if (!check(!!ia, 'A has an incident for the slow trace')) return;
  const [ib] = await waitIncidents('b', trace);
  const pc = ib && part(ib, 'node-c');
  check(pc && pc.state === 'refused' && /hop limit/.test(pc.note), 'B does not ask C beyond the hop limit, and says so', JSON.stringify(ib && ib.remote));
  check((await incidentsOf('c', trace)).length === 0, 'C took nothing');
  // a cycle: A -> B -> A; every part ends, none asks a node twice
  const cyc = await request('b,a', 'a');
  const inc = await waitIncidents('a', cyc);
  check(inc.length >= 1, 'the cycle gets an incident on A', inc.length);
  await sleep(3000);
  const onB = await incidentsOf('b', cyc);
  check(onB.length === 1, 'B took its part of the cycle once', onB.length);
  const st = await api('b', '/api/status');
  check(st.fleet.requests_sent === 0 || (await incidentsOf('a', cyc)).every((i) => !i.part_of),
    'B asked A nothing back (A was visited)', JSON.stringify(st.fleet));
}

async function failures() {
  await setup({ a: [SERVER_RULE('svc-a')] });
  // a node gone with -9: its entry is still in the registry, it answers nothing
  recorders.c.kill('SIGKILL'); // `ip netns exec` became flightrec itself
  await sleep(500);
  const t1 = await request('b,c', 'c');
  const [ia] = await waitIncidents('a', t1);
  if (check(!!ia, 'A has an incident while C is down')) {
    console.log(`     A's verdict: ${ia.verdict}`);
    const pc = part(ia, 'node-c');
    check(pc && pc.state === 'no answer' && /node-c did not answer within/.test(pc.note),
      'the part on node-c says it did not answer', JSON.stringify(ia.remote));
  }
  // NATS down: local capture goes on, the failure is counted
  natsProc.kill('SIGKILL');
  await sleep(1000);
  const t2 = await request('b,c', 'c');
  const [ia2] = await waitIncidents('a', t2);
  check(!!ia2 && /fsync|epoll/.test(ia2.verdict || ''), 'A still makes its incident with NATS down', ia2 && ia2.verdict);
  check(ia2 && /node-b was not asked: NATS is unreachable/.test(ia2.verdict),
    'and says why it could not ask node-b', ia2 && ia2.verdict);
  let st = await api('a', '/api/status');
  check(!st.fleet.connected && st.fleet.disconnects >= 1, 'A counts the disconnection', JSON.stringify(st.fleet));
  const local = await api('a', '/api/status');
  check(local.incidents.stored >= 2, 'incidents are stored while NATS is down', JSON.stringify(local.incidents));
  // back: the fleet reconnects and captures across hosts again
  await startNats();
  await startRecorder('c');
  let ok = false;
  for (let i = 0; i < 60 && !ok; i++) {
    st = await api('a', '/api/status');
    ok = st.fleet.connected && st.fleet.reconnects >= 1;
    if (!ok) await sleep(250);
  }
  check(ok, 'A reconnects to NATS', JSON.stringify(st.fleet));
  check(await waitRegistry(NODES, 3), 'the registry holds the three again');
  // C's SDK reconnects to its new recorder, which follows it from its spans on
  for (let i = 0; i < 120; i++) {
    await request('b,c', 'none');
    if ((await api('c', '/api/status')).otlp.spans > 0) break;
    await sleep(250);
  }
  await sleep(1000);
  const t3 = await request('b,c', 'c');
  const [ia3] = await waitIncidents('a', t3);
  check(ia3 && /on node-c/.test(ia3.verdict), 'after the restart A reaches C through B again', ia3 && ia3.verdict);
}

async function security() {
  await setup({});
  const trace = 'ab'.repeat(16);
  const body = (from) => JSON.stringify({
    v: 1, trace, parent: '01'.repeat(8), incident: '00000000000000aa', local: `${ipOf('b')}:9000`,
    caller: false, start: Date.now() * 1e6 - 1e9, end: Date.now() * 1e6, hops: 1, max_hops: 4,
    deadline: Date.now() * 1e6 + 5e9, broadcast: false, visited: [from],
  });
  const sc = StringCodec();
  // another account: the fleet's subjects are not there at all
  const stranger = await connect({ servers: `${bridge}:${natsPort}`, user: 'stranger', pass: 'pw-x' });
  let answered = true;
  try {
    await stranger.request('flightrec.capture.node-b.node-a', sc.encode(body('node-a')), { timeout: 1500 });
  } catch { answered = false; }
  check(!answered, 'a user of another account gets no answer to a capture request');
  answered = true;
  try {
    await stranger.request('flightrec.snapshot.node-b.node-a', sc.encode('{"id":"0000000000000001"}'), { timeout: 1500 });
  } catch { answered = false; }
  check(!answered, 'nor to a snapshot fetch');
  await stranger.close();
  // a node cannot speak as another: node-a's user may not publish as node-c
  const asA = await connect({ servers: `${bridge}:${natsPort}`, user: 'node-a', pass: 'pw-a' });
  let denied = '';
  (async () => {
    for await (const s of asA.status()) if (/permission/i.test(`${s.type} ${s.data}`)) denied = `${s.data}`;
  })();
  try {
    await asA.request('flightrec.capture.node-b.node-c', sc.encode(body('node-c')), { timeout: 1500 });
  } catch (e) { if (/permission/i.test(String(e.message))) denied = e.message; }
  await sleep(300);
  // as itself, a request out of bounds is refused and counted
  const bad = JSON.parse(body('node-a'));
  bad.hops = 99;
  let ans = null;
  try {
    ans = JSON.parse(sc.decode((await asA.request('flightrec.capture.node-b.node-a', sc.encode(JSON.stringify(bad)), { timeout: 3000 })).data));
  } catch (e) { ans = { error: e.message }; }
  check(ans && ans.state === 7 && /hop count/.test(ans.note), 'a request with a hop count out of bounds is refused in words', JSON.stringify(ans));
  const stB = await api('b', '/api/status');
  check(stB.fleet.refused.invalid >= 1, 'and counted', JSON.stringify(stB.fleet.refused));
  await asA.close().catch(() => {});
  check(denied !== '', "node-a's user cannot ask as node-c (the server refuses the publish)", 'no permission error');
  if (denied) console.log(`     ${denied}`);
  await sleep(1000);
  const st = await api('b', '/api/status');
  check(st.fleet.requests_in === 1, "node-b received only node-a's own request", JSON.stringify(st.fleet));
  check((await incidentsOf('b', trace)).length === 0, 'node-b captured nothing for them');
}

// ---- bench/run fleet: per hop, how long from the trigger to the remote
// part's answer; NATS messages and bytes per incident ----
async function varz() {
  return (await fetch(`http://${bridge}:${natsMon}/varz`)).json();
}
const quantile = (xs, q) => {
  const v = [...xs].sort((a, b) => a - b);
  return v.length ? v[Math.min(v.length - 1, Math.floor(q * v.length))] : NaN;
};
async function bench() {
  const rounds = Number(process.argv[3] || 20);
  await setup({ a: [SERVER_RULE('svc-a')] }, {}, false); /* the first round is measured cold */
  // the idle rate (heartbeats, watches) over as long as a round takes
  const idle0 = await varz();
  await sleep(3000);
  const idle1 = await varz();
  const idleMsgs = (idle1.in_msgs - idle0.in_msgs) / 3, idleBytes = (idle1.in_bytes - idle0.in_bytes) / 3;
  const two = [], one = [], totalMs = [];
  const v0 = await varz(), t0 = Date.now();
  let incidents = 0;
  for (let i = 0; i < rounds; i++) {
    const trace = await request('b,c', 'c', 200);
    const [ia] = await waitIncidents('a', trace, 1, 8000);
    const [ib] = await waitIncidents('b', trace, 1, 8000);
    const pb = ia && part(ia, 'node-b'), pc = ib && part(ib, 'node-c');
    if (pb && pb.state === 'answered') two.push(pb.answer_ms);
    if (pc && pc.state === 'answered') one.push(pc.answer_ms);
    if (ia) incidents++;
    await sleep(300);
  }
  const v1 = await varz(), secs = (Date.now() - t0) / 1000;
  const msgs = (v1.in_msgs - v0.in_msgs - idleMsgs * secs) / Math.max(1, incidents);
  const bytes = (v1.in_bytes - v0.in_bytes - idleBytes * secs) / Math.max(1, incidents);
  // the first round is apart: each node's first snapshot of a process
  // faults its buffers in and loads that process's modules for unwinding
  const warm2 = two.slice(1), warm1 = one.slice(1);
  console.log('two hops, each round (ms):', two.map((x) => x.toFixed(0)).join(' '));
  console.log('one hop, each round (ms): ', one.map((x) => x.toFixed(0)).join(' '));
  console.log('hops  answered  p50 ms  p99 ms  first ms   (trigger on A -> remote part answered)');
  console.log(`1     ${String(one.length).padStart(8)}  ${quantile(warm1, 0.5).toFixed(1).padStart(6)}  ${quantile(warm1, 0.99).toFixed(1).padStart(6)}  ${(one[0] ?? NaN).toFixed(1).padStart(8)}   B asks C`);
  console.log(`2     ${String(two.length).padStart(8)}  ${quantile(warm2, 0.5).toFixed(1).padStart(6)}  ${quantile(warm2, 0.99).toFixed(1).padStart(6)}  ${(two[0] ?? NaN).toFixed(1).padStart(8)}   A asks B, which asks C`);
  console.log(`incidents ${incidents} of ${rounds} slow requests; NATS messages in per incident ${msgs.toFixed(1)}, bytes ${bytes.toFixed(0)} (idle rate subtracted)`);
  console.log(`fleet.hop_p50_ms=${quantile(warm2, 0.5).toFixed(1)}`);
  console.log(`fleet.hop_p99_ms=${quantile(warm2, 0.99).toFixed(1)}`);
  console.log(`fleet.hop_first_ms=${(two[0] ?? NaN).toFixed(1)}`);
  console.log(`fleet.one_hop_p99_ms=${quantile(warm1, 0.99).toFixed(1)}`);
  console.log(`fleet.msgs_per_incident=${msgs.toFixed(1)}`);
  console.log(`fleet.bytes_per_incident=${bytes.toFixed(0)}`);
  check(two.length > 0, 'remote parts were answered');
}

const cases = { chain, backward, late, hops, failures, security, bench };
if (!cases[kase]) { console.error(`unknown case ${kase}`); process.exit(2); }
try {
  await cases[kase]();
} catch (e) {
  check(false, 'ran to the end', e.stack);
}
for (const n of NODES) {
  if (failed) {
    const log = path.join(work, `rec-${n}.log`);
    if (fs.existsSync(log)) console.log(`--- node-${n}'s recorder:\n${fs.readFileSync(log, 'utf8').split('\n').slice(-15).join('\n')}`);
  }
}
process.exit(failed ? 1 : 0);

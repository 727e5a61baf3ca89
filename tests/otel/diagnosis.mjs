// The diagnosis scenarios: flightrec (real kernel capture, as root) watches
// a service instrumented with the official OpenTelemetry JS SDK
// (scenario_service.mjs) while it serves slow requests of known causes and
// fast ones; then every slow request must have exactly one incident whose
// verdict names the root cause with the right file, socket or process and
// the first link, and no fast request may have one.
//
// usage: node diagnosis.mjs [--rounds N] [--strict] [--only NAME,...]
//   FLIGHTREC_BIN = the flightrec binary. Prints a table, then
//   diagnosis.right_share=X and diagnosis.false_incidents=N. With --strict
//   exits 1 unless every verdict was right and there were no false incidents.
import { spawn, execFileSync } from 'node:child_process';
import { freePorts, get, killChildren, sleep, start, startRecorder } from './harness.mjs';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../..');
const bin = process.env.FLIGHTREC_BIN || path.join(repo, 'build/flightrec');
const args = process.argv.slice(2);
const rounds = Number(args.includes('--rounds') ? args[args.indexOf('--rounds') + 1] : 1);
const strict = args.includes('--strict');
// a few scenarios only, while working on them
const only = args.includes('--only') ? args[args.indexOf('--only') + 1].split(',') : null;


// ---- set-up ----
const work = fs.mkdtempSync(path.join('/var/tmp', 'fr-diag-'));
fs.chmodSync(work, 0o755);
const [otlpPort, webPort, svcPort, svc2Port, peerPort, dnsPort] = await freePorts(6);
const peerSock = path.join(work, 'peer.sock');
const peerData = path.join(work, 'peer-data');
const lockFile = path.join(work, 'lockfile');
fs.writeFileSync(lockFile, '');
const catalog = path.join(work, 'catalog.idx'); // memory-mapped by /mmap
{
  const fd = fs.openSync(catalog, 'w');
  const chunk = Buffer.alloc(1 << 20, 3);
  for (let i = 0; i < 64; i++) fs.writeSync(fd, chunk);
  fs.fsyncSync(fd);
  fs.closeSync(fd);
}
const faulterBin = process.env.FAULTER_BIN || path.join(path.dirname(bin), 'tests/faulter');
const slowAcceptBin = process.env.SLOWACCEPT_BIN || path.join(path.dirname(bin), 'tests/slowaccept');
const hog = path.join(work, 'cpuhog');
fs.symlinkSync('/bin/dash', hog);

const fr = await startRecorder([bin, 'run', '--otlp-listen', `127.0.0.1:${otlpPort}`,
  '--web-listen', `127.0.0.1:${webPort}`, '--no-auth', '--data-dir', path.join(work, 'data'),
  '--rule', 'threshold=80ms,cooldown=0s', '--budget', '100000', '-i', '0',
  // FR_DIAG_SYSCALLS=sched|slow|all: a capture mode other than the default
  ...(process.env.FR_DIAG_SYSCALLS ? ['--syscalls', process.env.FR_DIAG_SYSCALLS] : [])], webPort);
const otlpUrl = `http://127.0.0.1:${otlpPort}/v1/traces`;
const peer = await start('node', [path.join(here, 'scenario_peer.mjs'), String(peerPort), peerSock, peerData,
  String(dnsPort)]);
// the service on CPU 1, where the CPU hogs will go too
const svc = await start('taskset', ['-c', '1', 'node', '--perf-basic-prof', '--logfile=/dev/null',
  path.join(here, 'scenario_service.mjs'),
  String(svcPort), otlpUrl, work, String(peerPort), peerSock], { cwd: here, env: { ...process.env, FR_FAULTER_BIN: faulterBin } });

async function warm(port) {
  for (let i = 0; i < 3; i++) await get(port, '/fast');
  await sleep(1000); // its first spans bring it under capture
}
await warm(svcPort);

// A cgroup with a CPU limit of 30 ms per 100 ms: cgroup v1's cpu controller
// where it is mounted (this machine), else cgroup v2's (cpu.max). Made
// once, removed at the end; null when neither can be had.
let limitCg;
function cpuLimitCgroup() {
  if (limitCg !== undefined) return limitCg;
  limitCg = null;
  const name = `fr-diag-${process.pid}`;
  for (const root of ['/sys/fs/cgroup/cpu', '/sys/fs/cgroup/cpu,cpuacct']) {
    if (!fs.existsSync(path.join(root, 'cpu.cfs_period_us'))) continue;
    const dir = path.join(root, name);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'cpu.cfs_period_us'), '100000');
    fs.writeFileSync(path.join(dir, 'cpu.cfs_quota_us'), '30000');
    limitCg = { root, dir, path: `/${name}` };
    return limitCg;
  }
  const v2 = '/sys/fs/cgroup';
  try {
    if (fs.readFileSync(path.join(v2, 'cgroup.controllers'), 'utf8').includes('cpu')) {
      fs.writeFileSync(path.join(v2, 'cgroup.subtree_control'), '+cpu');
      const dir = path.join(v2, name);
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, 'cpu.max'), '30000 100000');
      limitCg = { root: v2, dir, path: `/${name}` };
    }
  } catch { limitCg = null; }
  return limitCg;
}

// A memory cgroup limited to 32 MiB (v1's memory.limit_in_bytes, else
// v2's memory.max). null when neither.
let memCg;
function memLimitCgroup() {
  if (memCg !== undefined) return memCg;
  memCg = null;
  const name = `fr-diag-mem-${process.pid}`;
  try {
    if (fs.existsSync('/sys/fs/cgroup/memory/memory.limit_in_bytes')) {
      const root = '/sys/fs/cgroup/memory', dir = path.join(root, name);
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, 'memory.limit_in_bytes'), String(32 << 20));
      memCg = { root, dir, path: `/${name}` };
    } else if (fs.readFileSync('/sys/fs/cgroup/cgroup.controllers', 'utf8').includes('memory')) {
      fs.writeFileSync('/sys/fs/cgroup/cgroup.subtree_control', '+memory');
      const root = '/sys/fs/cgroup', dir = path.join(root, name);
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, 'memory.max'), String(32 << 20));
      memCg = { root, dir, path: `/${name}` };
    }
  } catch (e) { console.log(`no memory cgroup: ${e.message}`); memCg = null; }
  return memCg;
}

// A cgroup whose reads of file's disk are limited to 100 per second:
// cgroup v1's blkio.throttle.read_iops_device, else v2's io.max. The whole
// disk's device numbers (throttling takes no partition). null when neither.
let slowCg;
function slowDiskCgroup(file) {
  if (slowCg !== undefined) return slowCg;
  slowCg = null;
  const dev = fs.statSync(file).dev;
  let mm = `${Math.floor(dev / 256) & 0xfff}:${(dev & 0xff) | ((dev >> 12) & 0xfff00)}`;
  if (fs.existsSync(`/sys/dev/block/${mm}/partition`))
    mm = fs.readFileSync(`/sys/dev/block/${mm}/../dev`, 'utf8').trim();
  const name = `fr-diag-io-${process.pid}`;
  try {
    if (fs.existsSync('/sys/fs/cgroup/blkio/blkio.throttle.read_iops_device')) {
      const dir = path.join('/sys/fs/cgroup/blkio', name);
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, 'blkio.throttle.read_iops_device'), `${mm} 100`);
      slowCg = { dir };
    } else if (fs.readFileSync('/sys/fs/cgroup/cgroup.controllers', 'utf8').includes('io')) {
      fs.writeFileSync('/sys/fs/cgroup/cgroup.subtree_control', '+io');
      const dir = path.join('/sys/fs/cgroup', name);
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, 'io.max'), `${mm} riops=100`);
      slowCg = { dir };
    }
  } catch (e) { console.log(`no slow disk cgroup: ${e.message}`); slowCg = null; }
  return slowCg;
}

// ---- the scenarios ----
const requests = []; // { scenario, trace, expect: [], forbid: [] }

async function request(scenario, port, url, expect, forbid = []) {
  const r = await get(port, url);
  if (r.status !== 200) throw new Error(`${url}: ${r.status} ${r.body}`);
  const extra = JSON.parse(r.body || '{}');
  const rec = { scenario, trace: r.headers.get('x-trace-id'), expect, forbid, extra };
  requests.push(rec);
  return rec;
}

function waitExit(p) {
  return new Promise((resolve) => { if (p.exitCode !== null || p.signalCode) resolve(); else p.on('exit', resolve); });
}

const scenarios = {
  async flock() {
    // another process holds the lock; the service's child waits for it
    const holder = spawn('flock', [lockFile, 'sleep', '0.3'], { stdio: 'ignore' });
    await sleep(60);
    await request('flock', svcPort, `/flock?lock=${encodeURIComponent(lockFile)}`,
      [`flock(${lockFile})`, `held by pid ${holder.pid} (flock)`]);
    await waitExit(holder);
  },
  async flockpair() {
    // both of them the service's children: its event loop is woken by the
    // holder's exit before the child it waits for is done
    const rec = await request('flockpair', svcPort, `/flockpair?lock=${encodeURIComponent(lockFile)}`, []);
    rec.expect.push(`flock(${lockFile}) held by pid ${rec.extra.holder} (flock)`);
  },
  async tcp() {
    await request('tcp', svcPort, '/tcp',
      [`127.0.0.1:${peerPort}`, `pid ${peer.readyPid} (node)`, `fsync(${peerData})`]);
  },
  async peercpu() {
    // the peer computing (no perf map: its JavaScript has no names)
    await request('peercpu', svcPort, '/peercpu',
      [`127.0.0.1:${peerPort}`, `pid ${peer.readyPid} (node)`, 'on CPU', 'in JavaScript without names']);
  },
  async peerstarved() {
    // a peer on CPU 0 that computes behind three CPU hogs there
    const [port2] = await freePorts(1);
    const peer2 = await start('taskset', ['-c', '0', 'node', path.join(here, 'scenario_peer.mjs'),
      String(port2), path.join(work, 'peer2.sock'), path.join(work, 'peer2-data')]);
    const hogs = [];
    for (let i = 0; i < 3; i++) {
      hogs.push(spawn('taskset', ['-c', '0', hog, '-c', 'while :; do :; done'], { stdio: 'ignore' }));
    }
    await sleep(30);
    try {
      await request('peerstarved', svcPort, `/peercpu?port=${port2}`,
        [`pid ${peer2.readyPid} (node)`, 'waiting for CPU', '(cpuhog)']);
    } finally {
      for (const h of hogs) h.kill('SIGKILL');
      await Promise.all(hogs.map(waitExit));
      peer2.kill('SIGKILL');
    }
  },
  async synqueue() {
    // a server whose accept queue one connection fills for 500 ms: the
    // service's SYN is dropped, and sent again a second later
    const [port] = await freePorts(1);
    const srv = await start(slowAcceptBin, [String(port), '500']);
    const filler = net.connect({ host: '127.0.0.1', port });
    filler.on('error', () => {});
    await new Promise((resolve) => filler.once('connect', resolve));
    filler.write('f'); // answered once the server accepts
    try {
      await request('synqueue', svcPort, `/peercpu?port=${port}`,
        [`→ 127.0.0.1:${port}) was ready`, 'its SYN went unanswered and the kernel sent it again ']);
    } finally {
      filler.destroy();
      srv.kill('SIGKILL');
    }
  },
  async unix() {
    await request('unix', svcPort, '/unix',
      [`unix ${peerSock}`, `pid ${peer.readyPid} (node)`, `fsync(${peerData})`]);
  },
  async lock() {
    await request('lock', svcPort, '/lock',
      ['futex', 'until thread ', `fsync(${path.join(work, 'journal')})`]);
  },
  async workercpu() {
    // the worker thread computing while the main thread waits for it
    await request('workercpu', svcPort, '/lock?job=cpu',
      ['futex', 'until thread ', 'on CPU', 'reconcileLedger']);
  },
  async fsyncclose() {
    const rec = await request('fsyncclose', svcPort, '/fsyncclose', [], [path.join(work, 'other')]);
    rec.expect.push(`fsync(${rec.extra.wal})`);
  },
  async cpu() {
    const hogs = [];
    for (let i = 0; i < 3; i++) {
      hogs.push(spawn('taskset', ['-c', '1', hog, '-c', 'while :; do :; done'], { stdio: 'ignore' }));
    }
    await sleep(30);
    await request('cpu', svcPort, '/cpu', ['waiting for CPU', '(cpuhog)'], ['throttled']);
    for (const h of hogs) h.kill('SIGKILL');
    await Promise.all(hogs.map(waitExit)); // gone before the snapshot is taken
  },
  async hot() {
    // the service computing in a named JS function: the verdict names it
    await request('hot', svcPort, '/hot', ['on CPU', 'in computeInvoiceTotals (', 'scenario_service.mjs:']);
  },
  async cpulimit() {
    // the service under a CPU limit of 30 ms per 100 ms while it does 120 ms
    // of CPU work: throttled, not waiting behind anyone
    const cg = cpuLimitCgroup();
    if (!cg) { console.log('cpulimit: no cgroup cpu controller to limit with; skipped'); return; }
    fs.writeFileSync(path.join(cg.dir, 'cgroup.procs'), String(svc.readyPid));
    try {
      await request('cpulimit', svcPort, '/cpuwork?ms=120',
        [`throttled by the CPU limit of ${cg.path} (30 ms per 100 ms)`], ['waiting for CPU: preempted']);
      await sleep(2000); // in its cgroup while the incident is taken, as a service stays
    } finally {
      fs.writeFileSync(path.join(cg.root, 'cgroup.procs'), String(svc.readyPid));
    }
  },
  async memory() {
    // the service in a memory cgroup with room for 32 MiB more than it
    // holds, writing 256 MiB to a file: its page cache must be reclaimed
    // as it goes
    const cg = memLimitCgroup();
    if (!cg) { console.log('memory: no memory controller to limit with; skipped'); return; }
    fs.writeFileSync(path.join(cg.dir, 'cgroup.procs'), String(svc.readyPid));
    try {
      await request('memory', svcPort, '/memwrite',
        [`stalled reclaiming memory: cgroup ${cg.path} at its 32 MiB limit`]);
      await sleep(2000); // in its cgroup while the incident is taken
    } finally {
      fs.writeFileSync(path.join(cg.root, 'cgroup.procs'), String(svc.readyPid));
    }
  },
  async disk() {
    // fsyncs while another process writes to the same disk with O_DIRECT
    const nb = spawn('dd', ['if=/dev/zero', `of=${path.join(work, 'neighbour.dat')}`, 'bs=1M',
      'count=100000', 'oflag=direct', 'status=none'], { stdio: 'ignore' });
    await sleep(200);
    try {
      const rec = await request('disk', svcPort, '/fsyncclose', [' was busy meanwhile: ',
        `written in `, ` requests by dd (pid ${nb.pid})`]);
      rec.expect.push(`fsync(${rec.extra.wal})`);
    } finally {
      nb.kill('SIGKILL');
      await waitExit(nb);
      fs.rmSync(path.join(work, 'neighbour.dat'), { force: true });
    }
  },
  async mmap() {
    // a helper process reading a memory-mapped file that left the page
    // cache, 32 pages of it, on a disk that serves 100 reads a second (a
    // blkio/io cgroup's limit: this VM's disk answers from the host's cache
    // in microseconds)
    const cg = slowDiskCgroup(catalog);
    await request('mmap', svcPort, `/mmap?file=${encodeURIComponent(catalog)}&stride=512` +
      (cg ? `&cg=${encodeURIComponent(path.join(cg.dir, 'cgroup.procs'))}` : ''),
    [`in major page faults on ${catalog}`, '(faulter)']);
  },
  async write() {
    await request('write', svcPort, '/write', ['on CPU in write(/dev/shm/fr-scen-big-']);
  },
  async timer() {
    await request('timer', svcPort, '/timer', ['timed out', 'a timer fired']);
  },
  async poolcpu() {
    // zlib on libuv's thread pool: a pool thread computes while the loop waits
    await request('poolcpu', svcPort, '/poolcpu', ['woken by threads ', 'on CPU', 'in deflate']);
  },
  async poolread() {
    // a cold file read on the thread pool from a disk limited to 100 reads
    // a second
    const cg = slowDiskCgroup(catalog);
    if (cg) fs.writeFileSync(path.join(cg.dir, 'cgroup.procs'), String(svc.readyPid));
    try {
      await request('poolread', svcPort, `/poolread?file=${encodeURIComponent(catalog)}`,
        [`pread64(${catalog})`]);
      await sleep(2000);
    } finally {
      if (cg) fs.writeFileSync(path.join(path.dirname(cg.dir), 'cgroup.procs'), String(svc.readyPid));
    }
  },
  async readsync() {
    // cold reads on the loop's own thread, from the same slow disk
    const cg = slowDiskCgroup(catalog);
    if (cg) fs.writeFileSync(path.join(cg.dir, 'cgroup.procs'), String(svc.readyPid));
    try {
      await request('readsync', svcPort, `/readsync?file=${encodeURIComponent(catalog)}`,
        [`blocked in pread64(${catalog})`, 'until the disk completed the I/O']);
      await sleep(2000);
    } finally {
      if (cg) fs.writeFileSync(path.join(path.dirname(cg.dir), 'cgroup.procs'), String(svc.readyPid));
    }
  },
  async dns() {
    await request('dns', svcPort, `/dns?port=${dnsPort}`, [`→ 127.0.0.1:${dnsPort})`, `pid ${peer.readyPid} (node)`]);
  },
  async exec() {
    await request('exec', svcPort, '/exec', ['(sleep)']);
  },
  async gc() {
    // objects kept alive across collections: V8's collector on the loop's
    // thread, or its helpers holding the CPU the loop waits for (all the
    // service's threads share one CPU here), or the loop waiting for them
    await request('gc', svcPort, '/gc', ['garbage collection (V8)']);
  },
  async crypto() {
    // PBKDF2 on the loop's thread: on CPU in OpenSSL's hashing (which of
    // its functions nine in ten samples pass through varies with them)
    await request('crypto', svcPort, '/crypto', ['on CPU',
      ['in kdf_pbkdf2_derive (node)', 'in HMAC_Final (node)', 'in sha256_block_data_order']]);
  },
  async waitsync() {
    await request('waitsync', svcPort, '/waitsync', ['futex', 'until a timer fired']);
  },
  async exit() {
    // a service that exits right after its slow span
    const svc2 = await start('node', [path.join(here, 'scenario_service.mjs'), String(svc2Port),
      otlpUrl, work, String(peerPort), peerSock, 'exit-after'], { cwd: here });
    await warm(svc2Port);
    await request('exit', svc2Port, '/exit', [`fsync(${path.join(work, 'exit-data')})`], ['(?)']);
    await waitExit(svc2);
  },
};

const fast = [];
for (let r = 0; r < rounds; r++) {
  for (const [name, run] of Object.entries(scenarios)) {
    if (only && !only.includes(name)) continue;
    await run();
    for (let i = 0; i < 2; i++) {
      const f = await get(svcPort, '/fast');
      fast.push(f.headers.get('x-trace-id'));
    }
  }
}
await sleep(3000); // the last snapshots

// ---- the incidents ----
const incidents = [];
for (let cursor = null; ;) {
  const r = await get(webPort, `/api/incidents?limit=500${cursor ? `&cursor=${cursor}` : ''}`);
  const page = JSON.parse(r.body);
  incidents.push(...page.incidents);
  if (!page.next_cursor) break;
  cursor = page.next_cursor;
}
const byTrace = new Map();
for (const inc of incidents) {
  if (!byTrace.has(inc.trace_id)) byTrace.set(inc.trace_id, []);
  byTrace.get(inc.trace_id).push(inc);
}

const table = {};
let right = 0;
for (const rq of requests) {
  const got = byTrace.get(rq.trace) || [];
  const v = got.length === 1 ? got[0].verdict : '';
  // an expectation that is a list: any one of its words will do
  const missing = rq.expect.filter((s) => (Array.isArray(s) ? !s.some((x) => v.includes(x)) : !v.includes(s)));
  const present = rq.forbid.filter((s) => v.includes(s));
  const ok = got.length === 1 && !missing.length && !present.length;
  table[rq.scenario] ||= { requests: 0, right: 0 };
  table[rq.scenario].requests++;
  if (ok) { right++; table[rq.scenario].right++; } else {
    console.log(`WRONG ${rq.scenario} (incident ${got.map((g) => g.id).join(',') || 'none'}): ${got.length} incident(s); missing ${JSON.stringify(missing)}` +
      `${present.length ? `; should not say ${JSON.stringify(present)}` : ''}\n  verdict: ${v || got.map((g) => g.verdict).join(' | ')}`);
    // FR_DIAG_KEEP=DIR: the wrong ones' snapshots, for flightrec inspect
    for (const g of process.env.FR_DIAG_KEEP ? got : []) {
      const r = await fetch(`http://127.0.0.1:${webPort}/api/incidents/${g.id}/snapshot`);
      fs.writeFileSync(path.join(process.env.FR_DIAG_KEEP, `${rq.scenario}-${g.id}.frsnap`),
        Buffer.from(await r.arrayBuffer()));
    }
  }
}
const known = new Set(requests.map((r) => r.trace));
const falseIncidents = incidents.filter((i) => !known.has(i.trace_id));
for (const f of falseIncidents) console.log(`FALSE incident ${f.name} ${f.duration_ms} ms: ${f.verdict}`);
const fastHit = fast.filter((t) => byTrace.has(t)).length;

console.log('\nscenario      slow requests  right verdicts');
for (const [name, t] of Object.entries(table)) {
  console.log(`${name.padEnd(14)}${String(t.requests).padStart(13)}${String(t.right).padStart(16)}`);
}
for (const rq of requests.slice(0, Object.keys(scenarios).length)) {
  const got = byTrace.get(rq.trace) || [];
  if (got.length) console.log(`  ${rq.scenario}: ${got[0].verdict}`);
}
console.log(`fast requests: ${fast.length}, with an incident: ${fastHit}`);

// The hot request's on-CPU samples as a pprof profile, decoded by protoc
// (protobuf-compiler) with pprof's profile.proto: samples, and the hot
// function among the functions.
let pprofOk = false;
{
  const hot = requests.find((rq) => rq.scenario === 'hot');
  const inc = hot && (byTrace.get(hot.trace) || [])[0];
  if (inc) {
    const r = await fetch(`http://127.0.0.1:${webPort}/api/incidents/${inc.id}/profile.pb.gz`);
    const gz = Buffer.from(await r.arrayBuffer());
    const zlib = await import('node:zlib');
    const text = execFileSync('protoc', ['--proto_path', path.join(repo, 'store/proto'),
      '--decode=perftools.profiles.Profile', 'perftools/profiles/profile.proto'],
    { input: zlib.gunzipSync(gz) }).toString();
    const samples = (text.match(/^sample \{/gm) || []).length;
    const named = text.includes('"computeInvoiceTotals"');
    console.log(`pprof: ${r.status}, ${gz.length} bytes, ${samples} samples, computeInvoiceTotals ${named ? 'named' : 'missing'}`);
    pprofOk = r.status === 200 && samples > 0 && named;
  } else {
    console.log('pprof: no incident of the hot request');
  }
}
// The disk request's snapshot lists the neighbour (the page's table)
let diskOk = true;
for (const rq of requests.filter((q) => q.scenario === 'disk')) {
  const inc = (byTrace.get(rq.trace) || [])[0];
  if (!inc) continue;
  const r = JSON.parse((await get(webPort, `/api/incidents/${inc.id}`)).body);
  const users = (r.snapshot && r.snapshot.disk && r.snapshot.disk.users) || [];
  const ok = users.some((u) => /^dd \(pid \d+\)$/.test(u.who) && Number(u.written_bytes) > 0);
  console.log(`disk users in the snapshot: ${users.map((u) => u.who).join(', ') || 'none'}`);
  if (table.disk && table.disk.right) diskOk &&= ok;
}
const share = requests.length ? right / requests.length : 0;
console.log(`diagnosis.right_share=${share.toFixed(3)}`);
console.log(`diagnosis.false_incidents=${falseIncidents.length}`);

fr.kill('SIGINT');
await waitExit(fr);
for (const cg of [limitCg, slowCg, memCg]) {
  if (cg) { try { fs.rmdirSync(cg.dir); } catch { /* a task still in it */ } }
}
killChildren();
if (process.env.FR_DIAG_KEEP) console.log(`kept ${work}`);
else fs.rmSync(work, { recursive: true, force: true });
for (const f of fs.readdirSync('/dev/shm')) if (f.startsWith('fr-scen-big-')) fs.rmSync(path.join('/dev/shm', f));
process.exit(strict && (share < 1 || falseIncidents.length || !pprofOk || !diskOk) ? 1 : 0);

// Finding the process behind spans the way users send them (run by
// test_attribution, as root): flightrec (real kernel capture) and a
// service instrumented with the official OpenTelemetry JS SDK
// (scenario_service.mjs) whose slow request spends its time in fsync,
//
//   nopid     without process.pid (the Go and Python SDKs' default), sent
//             straight to flightrec: the process is the sender's;
//   mapped    without process.pid, through a forwarder running as "otelcol"
//             (forwarder.mjs): the process is the one --service-map names;
//   pidns     in its own PID namespace (unshare --pid), process.pid being
//             its pid there: translated through the sender's namespace;
//   container the same, in a cgroup named after its container.id, which
//             its resource carries: translated through the container;
//   netns     without process.pid, in a network namespace of its own (as a
//             pod or a container is), reaching flightrec over a veth pair:
//             the sender found in that namespace's socket table.
//
// Each slow request must get an incident with kernel context whose
// verdict names the fsync'd file, and whose window says how the process
// was found. Prints one line per case; exits 1 on any failure.
//
// With --unprivileged, flightrec itself runs as user nobody holding only
// the capabilities it documents (setpriv, ambient capabilities), from a
// copy of the binary outside the checkout; the cases run are nopid and
// pidns, and their incidents must also have named kernel and user frames
// (kallsyms, other users' /proc/PID/maps and binaries) besides the fd
// named in the kernel.
//
// usage: node attribution.mjs [--unprivileged]
import { execFileSync } from 'node:child_process';
import { freePort, freePorts, get, killChildren, sleep, start, startRecorder } from './harness.mjs';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../..');
const bin = process.env.FLIGHTREC_BIN || path.join(repo, 'build/flightrec');
const unprivileged = process.argv.includes('--unprivileged');
const CAPS = ['bpf', 'perfmon', 'sys_ptrace', 'dac_read_search', 'syslog'];

const cgroupDirs = [];
// the cgroup v2 hierarchy (unified, or the whole of /sys/fs/cgroup)
function cgroup2Root() {
  for (const line of fs.readFileSync('/proc/mounts', 'utf8').split('\n')) {
    const [, dir, type] = line.split(' ');
    if (type === 'cgroup2') return dir;
  }
  return null;
}

const work = fs.mkdtempSync(path.join('/var/tmp', 'fr-attr-'));
fs.chmodSync(work, 0o755);
const [otlpPort, webPort, fwdPort] = await freePorts(3);
// a network namespace with a veth pair to it, for the netns case (and the
// address flightrec listens on: the host's end)
const ip = (...a) => execFileSync('ip', a, { stdio: ['ignore', 'ignore', 'inherit'] });
const nsName = `fr-attr-${process.pid}`, vHost = `frh${process.pid % 100000}`, vNs = `frn${process.pid % 100000}`;
const subnet = `10.213.${process.pid % 250}`;
ip('netns', 'add', nsName);
ip('link', 'add', vHost, 'type', 'veth', 'peer', 'name', vNs);
ip('link', 'set', vNs, 'netns', nsName);
ip('addr', 'add', `${subnet}.1/24`, 'dev', vHost);
ip('link', 'set', vHost, 'up');
ip('netns', 'exec', nsName, 'ip', 'addr', 'add', `${subnet}.2/24`, 'dev', vNs);
ip('netns', 'exec', nsName, 'ip', 'link', 'set', vNs, 'up');
ip('netns', 'exec', nsName, 'ip', 'link', 'set', 'lo', 'up');
let netnsUp = true;
function removeNetns() {
  if (!netnsUp) return;
  netnsUp = false;
  try { ip('link', 'del', vHost); } catch { /* gone with the namespace */ }
  try { ip('netns', 'del', nsName); } catch { /* gone */ }
}
process.on('exit', removeNetns);

const frArgs = ['run', '--otlp-listen', `${subnet}.1:${otlpPort}`,
  '--web-listen', `127.0.0.1:${webPort}`, '--no-auth', '--data-dir', path.join(work, 'data'),
  '--rule', 'threshold=80ms,cooldown=0s', '--budget', '100000', '-i', '0',
  '--service-map', 'fr-mapped=comm:fr-svc-mapped'];
let frArgv;
if (unprivileged) {
  // nobody, with the documented capabilities only, from a copy of the
  // binary anyone may run (the checkout may be under a 0700 home)
  const copy = path.join(work, 'flightrec');
  fs.copyFileSync(bin, copy);
  fs.chmodSync(copy, 0o755);
  fs.mkdirSync(path.join(work, 'data'));
  fs.chownSync(path.join(work, 'data'), 65534, 65534);
  const caps = CAPS.map((c) => '+' + c).join(',');
  frArgv = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', `--inh-caps=${caps}`,
    `--ambient-caps=${caps}`, copy, ...frArgs];
} else {
  frArgv = [bin, ...frArgs];
}
await startRecorder(frArgv, webPort);
const direct = `http://${subnet}.1:${otlpPort}/v1/traces`;
await start('node', [path.join(here, 'forwarder.mjs'), String(fwdPort), `http://${subnet}.1:${otlpPort}`], { cwd: here });
const viaForwarder = `http://127.0.0.1:${fwdPort}/v1/traces`;

// A service of one case: node scenario_service.mjs, maybe under unshare.
async function service(name, otlpUrl, env, wrap = []) {
  const port = await freePort();
  const dir = path.join(work, name);
  fs.mkdirSync(dir);
  const argv = [...wrap, 'node', path.join(here, 'scenario_service.mjs'), String(port), otlpUrl, dir,
    '1', path.join(dir, 'none.sock')];
  const p = await start(argv[0], argv.slice(1), { env: { ...process.env, ...env }, cwd: here });
  p.port = port;
  p.dir = dir;
  return p;
}

async function incidentOf(trace) {
  for (let i = 0; i < 100; i++) {
    const list = JSON.parse((await get(webPort, '/api/incidents?limit=500')).body);
    const hit = (list.incidents || list).find((x) => x.trace_id === trace);
    if (hit) return JSON.parse((await get(webPort, `/api/incidents/${hit.id}`)).body);
    await sleep(100);
  }
  return null;
}

const failures = [];
async function check(name, svc, sourceWords) {
  for (let i = 0; i < 3; i++) await get(svc.port, '/fast', svc.host);
  await sleep(1000); // the first spans bring the process under capture
  const r = await get(svc.port, '/fsyncclose', svc.host);
  const { wal } = JSON.parse(r.body);
  const inc = await incidentOf(r.headers.get('x-trace-id'));
  const w = inc && inc.snapshot && inc.snapshot.window || {};
  const verdict = inc ? inc.summary.verdict : '(no incident)';
  let ok = inc && w.kernel_context && verdict.includes(`fsync(${wal})`) &&
    sourceWords.every((s) => (w.pid_source || '').includes(s));
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}: pid ${w.pid} found by "${w.pid_source || ''}"` +
    `${w.cgroup ? `, cgroup ${w.cgroup}` : ''}; verdict: ${verdict}`);
  if (unprivileged && inc) {
    // a blocking stack with named kernel and user frames
    const frames = (inc.snapshot.stacks || []).flatMap((st) => st.frames || []);
    const kern = frames.find((f) => f.kernel && f.symbol);
    const user = frames.find((f) => !f.kernel && f.symbol);
    console.log(`     frames: kernel ${kern ? kern.symbol : '(none named)'}, user ${user ? `${user.symbol} (${user.module})` : '(none named)'}`);
    ok = ok && kern && user;
  }
  if (!ok) failures.push(name);
}

try {
  // spans without process.pid, straight from the service
  const nopid = await service('nopid', direct, { FR_SCEN_NO_PID: '1', FR_SCEN_SERVICE: 'fr-nopid' });
  await check('nopid', nopid, ['sender of its spans', `pid ${nopid.readyPid}`]);

  // in a PID namespace of its own, process.pid being its pid in there
  const pidns = await service('pidns', direct, { FR_SCEN_SERVICE: 'fr-pidns' },
    ['unshare', '--pid', '--fork', '--kill-child', '--mount-proc']);
  await check('pidns', pidns, [`process.pid ${pidns.readyPid} in the PID namespace of the sender`]);

  // in a network namespace of its own, without process.pid: the sender is
  // found in that namespace's socket table
  const netns = await service('netns', direct, { FR_SCEN_NO_PID: '1', FR_SCEN_SERVICE: 'fr-netns', FR_SCEN_HOST: '0.0.0.0' },
    ['ip', 'netns', 'exec', nsName]);
  netns.host = `${subnet}.2`;
  await check('netns', netns, ['sender of its spans', `pid ${netns.readyPid}`]);

  // the rest asks nothing more of flightrec's privileges
  if (!unprivileged) {
    // the same through a forwarder: the service map names the process
    const mapped = await service('mapped', viaForwarder,
      { FR_SCEN_NO_PID: '1', FR_SCEN_SERVICE: 'fr-mapped', FR_SCEN_COMM: 'fr-svc-mapped' });
    await check('mapped', mapped, ['service map (comm:fr-svc-mapped)']);

    // in a "container": a cgroup named after the id its resource has
    const root = cgroup2Root();
    if (!root) throw new Error('no cgroup v2 hierarchy mounted');
    const id = 'f1a9' + 'c0ffee'.repeat(10);
    const cg = path.join(root, `fr-test-${id}`);
    fs.mkdirSync(cg, { recursive: true });
    cgroupDirs.push(cg);
    const ctr = await service('container', direct,
      { FR_SCEN_SERVICE: 'fr-container', OTEL_RESOURCE_ATTRIBUTES: `container.id=${id}` },
      ['unshare', '--pid', '--fork', '--kill-child', '--mount-proc', 'sh', '-c',
        `echo 0 > ${cg}/cgroup.procs && exec "$0" "$@"`]);
    await check('container', ctr, [`process.pid ${ctr.readyPid} in container ${id.slice(0, 12)}`]);
  }
} finally {
  killChildren();
  await sleep(300);
  for (const cg of cgroupDirs) { try { fs.rmdirSync(cg); } catch { /* busy: left */ } }
  removeNetns();
  fs.rmSync(work, { recursive: true, force: true });
}
if (failures.length) {
  console.log(`failed: ${failures.join(', ')}`);
  process.exit(1);
}
console.log('attribution: all cases ok');

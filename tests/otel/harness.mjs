// What the test scripts share: free ports, a GET, processes started until
// they print "ready PID" (killed when the script exits), and waiting for a
// recorder's web API to answer.
import { spawn } from 'node:child_process';
import net from 'node:net';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// A TCP port on 127.0.0.1 that was free a moment ago (the kernel's pick).
// n distinct ports free now: all n held open at once while they are picked
// (one picked and closed at a time, the kernel may pick it again).
export async function freePorts(n) {
  const servers = await Promise.all(Array.from({ length: n }, () => new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => resolve(s));
  })));
  const ports = servers.map((s) => s.address().port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

export async function freePort() {
  return (await freePorts(1))[0];
}

export async function get(port, url, host = '127.0.0.1') {
  const r = await fetch(`http://${host}:${port}${url}`);
  return { status: r.status, headers: r.headers, body: await r.text() };
}

// The processes started here (and any pushed by the caller): SIGKILLed at exit.
export const children = [];
export function killChildren() {
  for (const c of children) { try { c.kill('SIGKILL'); } catch { /* gone */ } }
}
process.on('exit', killChildren);

// Starts a process (spawn options in opts); resolves with it once it printed
// "ready PID" (its readyPid), rejects if it exits first or takes 20 s.
export function start(cmd, argv, opts = {}) {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'inherit'], ...opts });
    children.push(p);
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${cmd} ${argv.join(' ')}: not ready`)), 20000);
    p.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/ready (\d+)/);
      if (m) { clearTimeout(timer); p.readyPid = Number(m[1]); resolve(p); }
    });
    p.on('exit', (code) => { clearTimeout(timer); reject(new Error(`${cmd} exited ${code}`)); });
  });
}

// Starts `flightrec run ARGS` (the binary bin, or a wrapper's argv) and
// waits until its web API on webPort answers.
export async function startRecorder(argv, webPort) {
  const fr = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'inherit'] });
  children.push(fr);
  for (let i = 0; ; i++) {
    try { if ((await get(webPort, '/api/status')).status === 200) break; } catch { /* not yet */ }
    if (i > 100) throw new Error('flightrec did not come up');
    await sleep(100);
  }
  return fr;
}

// A service instrumented with the official OpenTelemetry JS SDK (spans by
// hand around each request, exported over OTLP/protobuf, the process
// detector's process.pid), with one endpoint per kind of slow request the
// diagnosis scenarios (diagnosis.mjs) ask flightrec to explain. Every slow
// thing it does is real: a child process on a file lock, a peer process
// over TCP or a unix socket, a worker thread doing disk I/O while the main
// thread waits on it, fsync then close, CPU work, a large write, a timer.
//
// usage: node scenario_service.mjs PORT OTLP_URL WORKDIR PEER_PORT PEER_SOCK [exit-after]
// Prints "ready PID" when listening. Each response carries the span's trace
// id in the x-trace-id header.
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { execFile, execFileSync, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import dns from 'node:dns';
import zlib from 'node:zlib';
import { Worker } from 'node:worker_threads';
import { SpanKind, trace } from '@opentelemetry/api';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import {
  defaultResource, detectResources, envDetector, processDetector, resourceFromAttributes,
} from '@opentelemetry/resources';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';

const [port, otlpUrl, workDir, peerPort, peerSock, mode] = process.argv.slice(2);
const exitAfter = mode === 'exit-after';

// FR_SCEN_NO_PID=1: no process detector (no process.pid, as the Go and
// Python SDKs' defaults); FR_SCEN_SERVICE: the service name; FR_SCEN_COMM:
// the command name to run under. OTEL_RESOURCE_ATTRIBUTES is read as usual.
if (process.env.FR_SCEN_COMM) fs.writeFileSync('/proc/self/comm', process.env.FR_SCEN_COMM);
const resource = defaultResource()
  .merge(resourceFromAttributes({
    'service.name': process.env.FR_SCEN_SERVICE || (exitAfter ? 'fr-scenarios-exit' : 'fr-scenarios'),
  }))
  .merge(detectResources({
    detectors: process.env.FR_SCEN_NO_PID ? [envDetector] : [envDetector, processDetector],
  }));
const provider = new BasicTracerProvider({
  resource,
  spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: otlpUrl }),
    { scheduledDelayMillis: 100 })],
});
trace.setGlobalTracerProvider(provider);
const tracer = trace.getTracer('fr-scenarios');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const CHUNK = Buffer.alloc(4 << 10, 7);

// write 4 KiB + fsync rounds until ms have passed: time mostly in fsync
function syncWrites(fd, ms) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    fs.writeSync(fd, CHUNK);
    fs.fsyncSync(fd);
  }
}

// ---- the worker thread: does the journal's disk I/O while the main thread waits ----
const ctl = new Int32Array(new SharedArrayBuffer(8)); // [0] job posted, [1] job done
const worker = new Worker(`
  const { workerData } = require('node:worker_threads');
  const fs = require('node:fs');
  const ctl = workerData.ctl;
  const mb = Buffer.alloc(4 << 10, 3);
  const fd = fs.openSync(workerData.journal, 'w');
  function reconcileLedger(ms) {
    const end = Date.now() + ms;
    let x = 0;
    while (Date.now() < end) for (let i = 0; i < 10000; i++) x = (x * 31 + i) % 1000003;
    return x;
  }
  for (;;) {
    Atomics.wait(ctl, 0, 0);
    const job = Atomics.load(ctl, 0);
    Atomics.store(ctl, 0, 0);
    const end = Date.now() + 150;
    if (job === 2) reconcileLedger(150); // computing, not writing
    else while (Date.now() < end) { fs.writeSync(fd, mb); fs.fsyncSync(fd); }
    Atomics.store(ctl, 1, 1);
    Atomics.notify(ctl, 1);
  }`, { eval: true, workerData: { ctl, journal: path.join(workDir, 'journal') } });
worker.unref();

// ---- CPU work calibrated to about 60 ms alone ----
function spin(iters) {
  let x = 0;
  for (let i = 0; i < iters; i++) x = (x * 1103515245 + 12345) % 2147483647;
  return x;
}
let cpuIters = 1e6;
for (;;) {
  const t0 = process.hrtime.bigint();
  spin(cpuIters);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (ms >= 10) { cpuIters = Math.round(cpuIters * 60 / ms); break; }
  cpuIters *= 2;
}

// the hot function of /hot: arithmetic for ms milliseconds, in a named
// function of its own (the service runs under node --perf-basic-prof, so
// that its JIT code has names)
function computeInvoiceTotals(ms) {
  const end = Date.now() + ms;
  let total = 0;
  while (Date.now() < end) {
    for (let i = 0; i < 20000; i++) total = (total * 31 + i * 17) % 1000003;
  }
  return total;
}

// /cpuwork: ms of the process's own CPU time (not wall time: under a CPU
// limit the same work takes longer)
function cpuWork(ms) {
  const start = process.cpuUsage();
  let x = 0;
  for (;;) {
    for (let i = 0; i < 20000; i++) x = (x * 31 + i) % 1000003;
    const u = process.cpuUsage(start);
    if ((u.user + u.system) / 1000 >= ms) return x;
  }
}

const big = Buffer.alloc(256 << 20, 5);
const noise = crypto.randomBytes(24 << 20);
let walNo = 0;

function roundTrip(opts, ask = 'q') {
  return new Promise((resolve, reject) => {
    const s = net.connect(opts, () => s.write(ask));
    s.once('data', () => { s.end(); resolve(); });
    s.on('error', reject);
  });
}

const handlers = {
  '/fast': async () => {},
  '/flock': async (q) => new Promise((resolve, reject) => {
    execFile('flock', [q.get('lock'), 'true'], (err) => (err ? reject(err) : resolve()));
  }),
  // the service's own children: one holds the lock 300 ms, the request
  // waits for the other, which waits in flock() for it; the holder's exit
  // wakes the service first
  '/flockpair': async (q) => {
    const holder = spawn('flock', [q.get('lock'), 'sleep', '0.3'], { stdio: 'ignore' });
    await sleep(60);
    await new Promise((resolve, reject) => {
      execFile('flock', [q.get('lock'), 'true'], (err) => (err ? reject(err) : resolve()));
    });
    return { holder: holder.pid };
  },
  '/tcp': async () => roundTrip({ host: '127.0.0.1', port: Number(peerPort) }),
  '/unix': async () => roundTrip({ path: peerSock }),
  '/peercpu': async (q) => roundTrip({ host: '127.0.0.1', port: Number(q.get('port') || peerPort) }, 'c'),
  '/lock': async (q) => {
    Atomics.store(ctl, 1, 0);
    Atomics.store(ctl, 0, q.get('job') === 'cpu' ? 2 : 1);
    Atomics.notify(ctl, 0);
    Atomics.wait(ctl, 1, 0); // the main thread blocks until the worker is done
  },
  '/fsyncclose': async () => {
    const wal = path.join(workDir, `wal-${++walNo}`);
    const fd = fs.openSync(wal, 'w');
    syncWrites(fd, 150);
    fs.closeSync(fd);
    const other = fs.openSync(path.join(workDir, 'other'), 'w'); // takes the same fd number
    fs.writeSync(other, 'x');
    fs.closeSync(other);
    return { wal };
  },
  '/cpu': async () => { spin(cpuIters); },
  '/hot': async () => ({ total: computeInvoiceTotals(250) }),
  '/cpuwork': async (q) => ({ x: cpuWork(Number(q.get('ms') || 120)) }),
  // 256 MiB written to a file on disk: page cache, charged to the memory
  // cgroup the service is in
  '/memwrite': async () => {
    const file = path.join(workDir, 'memwrite.dat');
    const fd = fs.openSync(file, 'w');
    for (let i = 0; i < 64; i++) fs.writeSync(fd, big, 0, 4 << 20);
    fs.closeSync(fd);
    fs.unlinkSync(file);
  },
  // a helper reading a memory-mapped file the page cache does not hold
  // (tests/faulter: one disk read per page touched)
  '/mmap': async (q) => new Promise((resolve, reject) => {
    execFile(process.env.FR_FAULTER_BIN, [q.get('file'), q.get('stride') || '16', q.get('cg') || ''],
      (err) => (err ? reject(err) : resolve()));
  }),
  // about 10 ms of CPU, as every request of this operation; ?slow=1 also
  // writes and fsyncs a journal for 150 ms: its extra time is mostly fsync
  '/mixed': async (q) => {
    spin(Math.round(cpuIters / 6));
    if (q.get('slow') !== '1') return {};
    const wal = path.join(workDir, 'mixed-wal');
    const fd = fs.openSync(wal, 'w');
    syncWrites(fd, 150);
    fs.closeSync(fd);
    return { wal };
  },
  '/write': async () => {
    const file = path.join('/dev/shm', `fr-scen-big-${process.pid}`);
    const fd = fs.openSync(file, 'w');
    fs.writeSync(fd, big); // twice: a quarter second or so of copying
    fs.writeSync(fd, big);
    fs.closeSync(fd);
    fs.unlinkSync(file);
  },
  '/timer': async () => { await sleep(150); },
  // CPU work on libuv's thread pool: zlib compressing random bytes
  '/poolcpu': async () => {
    const z = await new Promise((resolve, reject) => {
      zlib.deflate(noise, { level: 9 }, (err, out) => (err ? reject(err) : resolve(out)));
    });
    return { bytes: z.length };
  },
  // a file the page cache does not hold (dd drops it), 32 chunks of it
  // read on the thread pool
  '/poolread': async (q) => {
    const file = q.get('file');
    execFileSync('dd', [`if=${file}`, 'iflag=nocache', 'count=0', 'status=none']);
    const fh = await fs.promises.open(file, 'r');
    const buf = Buffer.alloc(64 << 10);
    let n = 0;
    for (let off = 0; off < (16 << 20); off += 512 << 10) n += (await fh.read(buf, 0, buf.length, off)).bytesRead;
    await fh.close();
    return { n };
  },
  // the same cold reads, synchronously on the event loop's own thread
  '/readsync': async (q) => {
    const file = q.get('file');
    execFileSync('dd', [`if=${file}`, 'iflag=nocache', 'count=0', 'status=none']);
    const fd = fs.openSync(file, 'r');
    const buf = Buffer.alloc(64 << 10);
    let n = 0;
    for (let off = 0; off < (16 << 20); off += 512 << 10) n += fs.readSync(fd, buf, 0, buf.length, off);
    fs.closeSync(fd);
    return { n };
  },
  // a name looked up at a DNS server that answers late
  '/dns': async (q) => {
    const r = new dns.Resolver({ timeout: 2000, tries: 1 });
    r.setServers([`127.0.0.1:${q.get('port')}`]);
    const a = await new Promise((resolve, reject) => {
      r.resolve4('inventory.internal', (err, addrs) => (err ? reject(err) : resolve(addrs)));
    });
    return { a };
  },
  // a helper run synchronously: the event loop waits for it
  '/exec': async () => {
    execFileSync('sh', ['-c', 'sleep 0.15']);
  },
  // garbage: many small objects kept alive across collections, for about
  // 150 ms; the time goes to V8's collector on the main thread and its helpers
  '/gc': async () => {
    const keep = [];
    const end = Date.now() + 150;
    while (Date.now() < end) {
      for (let i = 0; i < 20000; i++) keep.push({ i, s: `item-${i}`, a: [i, i + 1] });
      if (keep.length > 3e6) keep.length = 0;
    }
    return { n: keep.length };
  },
  // a key derived on the main thread: OpenSSL's hash on CPU
  '/crypto': async () => ({ k: crypto.pbkdf2Sync('secret', 'salt', 600000, 32, 'sha256').length }),
  // the main thread waits with a timeout on a shared word nobody notifies
  '/waitsync': async () => { Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 150); },
  '/exit': async () => {
    const fd = fs.openSync(path.join(workDir, 'exit-data'), 'w');
    syncWrites(fd, 150);
    fs.closeSync(fd);
  },
};

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, 'http://x');
  const h = handlers[url.pathname];
  if (!h) { res.writeHead(404); res.end(); return; }
  const span = tracer.startSpan(`GET ${url.pathname}`, { kind: SpanKind.SERVER });
  let extra = {};
  try {
    extra = (await h(url.searchParams)) || {};
  } catch (e) {
    res.writeHead(500); res.end(String(e)); span.end(); return;
  }
  span.end();
  res.writeHead(200, { 'x-trace-id': span.spanContext().traceId, 'content-type': 'application/json' });
  res.end(JSON.stringify(extra));
  if (exitAfter && url.pathname === '/exit') {
    await provider.forceFlush();
    process.exit(0);
  }
});
server.listen(Number(port), process.env.FR_SCEN_HOST || '127.0.0.1', () => console.log(`ready ${process.pid}`));

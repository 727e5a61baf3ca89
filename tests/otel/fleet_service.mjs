// A service of the fleet tests, instrumented with the official OpenTelemetry
// JS SDK: a server span around each request, a client span around each call
// it makes to the next service (W3C trace context in the headers, the
// semantic conventions' peer attributes on both), exported over OTLP to its
// own host's recorder.
//
// usage: node fleet_service.mjs NAME PORT OTLP_URL WORKDIR HOSTS
//   HOSTS: "a=10.77.0.1:8080,b=10.77.0.2:8080,..."
// GET /work?path=b,c&slow=c[&ms=300]: calls the first service of path with
// the rest of it; the one named by slow writes and fsyncs a file for ms
// (default 300) before answering. Prints "ready PID" when listening; each
// response carries its trace id in x-trace-id.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { SpanKind, ROOT_CONTEXT, propagation, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { defaultResource, detectResources, processDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';

const [name, port, otlpUrl, workDir, hostList] = process.argv.slice(2);
const hosts = Object.fromEntries(hostList.split(',').map((kv) => kv.split('=')));

const resource = defaultResource()
  .merge(resourceFromAttributes({ 'service.name': 'svc-' + name }))
  .merge(detectResources({ detectors: [processDetector] }));
const provider = new BasicTracerProvider({
  resource,
  spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: otlpUrl }),
    { scheduledDelayMillis: 100 })],
});
trace.setGlobalTracerProvider(provider);
propagation.setGlobalPropagator(new W3CTraceContextPropagator());
const tracer = trace.getTracer('fr-fleet');
const CHUNK = Buffer.alloc(4 << 10, 7);
const file = path.join(workDir, name + '.dat');

// write 4 KiB + fsync rounds until ms have passed: the time is in fsync
function syncWrites(ms) {
  const fd = fs.openSync(file, 'a');
  const end = Date.now() + ms;
  while (Date.now() < end) {
    fs.writeSync(fd, CHUNK);
    fs.fsyncSync(fd);
  }
  fs.closeSync(fd);
}

// No context manager: the parent context is handed along by hand.
function call(parentCtx, target, rest, slow, ms) {
  const [host, tport] = hosts[target].split(':');
  const span = tracer.startSpan('GET /work ' + target, {
    kind: SpanKind.CLIENT,
    attributes: { 'server.address': host, 'server.port': Number(tport), 'http.request.method': 'GET' },
  }, parentCtx);
  return new Promise((resolve) => {
    const headers = {};
    propagation.inject(trace.setSpan(parentCtx, span), headers);
    const req = http.get({
      host, port: Number(tport), headers, agent: false,
      path: `/work?path=${rest.join(',')}&slow=${slow}&ms=${ms}`,
    }, (res) => {
      res.resume();
      res.on('end', () => { span.setAttribute('http.response.status_code', res.statusCode); span.end(); resolve(); });
    });
    req.on('socket', (s) => s.on('connect', () => {
      span.setAttribute('network.peer.address', s.remoteAddress);
      span.setAttribute('network.peer.port', s.remotePort);
    }));
    req.on('error', (e) => { span.recordException(e); span.end(); resolve(); });
  });
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  const parent = propagation.extract(ROOT_CONTEXT, req.headers);
  const span = tracer.startSpan('GET /work', {
    kind: SpanKind.SERVER,
    attributes: {
      'network.peer.address': req.socket.remoteAddress,
      'network.peer.port': req.socket.remotePort,
      'server.port': Number(port),
      'url.path': url.pathname,
    },
  }, parent);
  (async () => {
    const hops = (url.searchParams.get('path') || '').split(',').filter(Boolean);
    const slow = url.searchParams.get('slow') || '';
    const ms = Number(url.searchParams.get('ms') || 300);
    if (slow === name) syncWrites(ms);
    if (hops.length) await call(trace.setSpan(parent, span), hops[0], hops.slice(1), slow, ms);
    span.end();
    res.setHeader('x-trace-id', span.spanContext().traceId);
    res.end('ok\n');
  })();
});
server.keepAliveTimeout = 1000;
server.listen(Number(port), '0.0.0.0', () => console.log('ready ' + process.pid));
process.on('SIGTERM', async () => { await provider.shutdown().catch(() => {}); process.exit(0); });

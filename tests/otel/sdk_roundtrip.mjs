// The official OpenTelemetry JS SDK sends spans to flightrec with the
// protobuf and the JSON exporter, each with and without gzip. flightrec
// forwards everything to a backend here, which decodes it with protobufjs
// (a decoder that is not ours) loading the repo's OTLP schema. Checks, field
// by field, that what flightrec decoded (its --dump-spans) and what the
// backend received both equal what the SDK produced.
//
// usage: node sdk_roundtrip.mjs   (FLIGHTREC_BIN = path of the flightrec binary)
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import protobuf from 'protobufjs';
import { context, trace, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import {
  BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { freePort } from './harness.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../..');
const bin = process.env.FLIGHTREC_BIN || path.join(repo, 'build/flightrec');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));


// ---- the backend: protobufjs with the repo's .proto files ----
const root = new protobuf.Root();
root.resolvePath = (_origin, target) => path.join(repo, 'recorder/otlp/proto', target);
await root.load('opentelemetry/proto/collector/trace/v1/trace_service.proto', { keepCase: true });
const Request = root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest');
const backendSpans = [];
let backendRequests = 0;
const backend = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    let body = Buffer.concat(chunks);
    if (req.headers['content-encoding'] === 'gzip') body = zlib.gunzipSync(body);
    const msg = Request.toObject(Request.decode(body), { longs: String, enums: Number, defaults: false });
    backendRequests++;
    for (const rs of msg.resource_spans || []) {
      for (const ss of rs.scope_spans || []) {
        for (const sp of ss.spans || []) backendSpans.push({ span: sp, resource: rs.resource || {}, scope: ss.scope || {} });
      }
    }
    res.writeHead(200, { 'content-type': 'application/x-protobuf' });
    res.end();
  });
});
await new Promise((r) => backend.listen(0, '127.0.0.1', r));
const backendPort = backend.address().port;

// ---- flightrec ----
const otlpPort = await freePort();
const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fr-sdk-'));
const dumpFile = path.join(workDir, 'spans.jsonl');
const fr = spawn(bin, ['run', '--no-kernel', '--otlp-listen', `127.0.0.1:${otlpPort}`,
  '--export-endpoint', `http://127.0.0.1:${backendPort}`, '--dump-spans', dumpFile,
  '--data-dir', path.join(workDir, 'data'), '-i', '0'],
{ stdio: ['ignore', 'inherit', 'inherit'] });
let frExited = false;
fr.on('exit', () => { frExited = true; });
for (let i = 0; ; i++) {
  const up = await new Promise((resolve) => {
    const s = net.connect(otlpPort, '127.0.0.1', () => { s.end(); resolve(true); });
    s.on('error', () => resolve(false));
  });
  if (up) break;
  if (i > 100 || frExited) { console.error('flightrec did not start'); process.exit(1); }
  await sleep(50);
}

// ---- the SDK, once per exporter configuration ----
const configs = [
  { name: 'proto', Exporter: ProtoExporter, compression: 'none' },
  { name: 'proto-gzip', Exporter: ProtoExporter, compression: 'gzip' },
  { name: 'json', Exporter: JsonExporter, compression: 'none' },
  { name: 'json-gzip', Exporter: JsonExporter, compression: 'gzip' },
];
const expected = [];
for (const cfg of configs) {
  const memory = new InMemorySpanExporter();
  const exporter = new cfg.Exporter({ url: `http://127.0.0.1:${otlpPort}/v1/traces`, compression: cfg.compression });
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({
      'service.name': `sdk-${cfg.name}`,
      'process.pid': process.pid,
      'deployment.tier': 'test',
      'host.cores': 2,
    }),
    spanProcessors: [new SimpleSpanProcessor(memory), new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('roundtrip-scope', '4.5.6');
  const other = tracer.startSpan('linked-target', { kind: SpanKind.INTERNAL });
  other.end();
  const parent = tracer.startSpan(`POST /checkout ${cfg.name}`, {
    kind: SpanKind.SERVER,
    attributes: {
      'http.method': 'POST', 'http.status_code': 500, 'ratio': 0.25, 'big': 9007199254740991,
      'negative': -42, 'ok': false, 'tags': ['a', 'b', 'c'], 'codes': [1, 2, 3],
      'weights': [0.5, 1.5], 'flags': [true, false], 'unicode': 'caf\u00e9 \u{1F680} <tag>',
      'empty': '',
    },
  });
  parent.addEvent('cache miss', { 'cache.key': 'k1', 'attempt': 2 });
  parent.addEvent('retry', { 'delay.ms': 12.5 });
  parent.setStatus({ code: SpanStatusCode.ERROR, message: 'payment declined' });
  const ctx = trace.setSpan(context.active(), parent);
  const child = tracer.startSpan('SELECT orders', {
    kind: SpanKind.CLIENT,
    links: [{ context: other.spanContext(), attributes: { 'link.reason': 'retry-of' } }],
    attributes: { 'db.system': 'postgresql' },
  }, ctx);
  child.setStatus({ code: SpanStatusCode.OK });
  child.end();
  for (const kind of [SpanKind.PRODUCER, SpanKind.CONSUMER]) {
    tracer.startSpan(`queue ${kind}`, { kind }, ctx).end();
  }
  parent.end();
  await provider.forceFlush();
  expected.push(...memory.getFinishedSpans()); // shutdown clears them
  await provider.shutdown();
}

// ---- canonical forms ----
const hex = (b) => Buffer.from(b).toString('hex');
const nanos = (t) => (BigInt(t[0]) * 1000000000n + BigInt(t[1])).toString();
function sdkValue(v) {
  if (typeof v === 'string') return ['s', v];
  if (typeof v === 'boolean') return ['b', v];
  if (typeof v === 'number') return Number.isInteger(v) ? ['i', String(v)] : ['d', v];
  if (Array.isArray(v)) return ['a', v.map(sdkValue)];
  throw new Error(`unexpected attribute value ${v}`);
}
const sdkAttrs = (o) => Object.fromEntries(Object.entries(o || {}).map(([k, v]) => [k, sdkValue(v)]));
function fromSdk(s) {
  const parent = s.parentSpanContext ? s.parentSpanContext.spanId : (s.parentSpanId || '');
  return {
    traceId: s.spanContext().traceId, spanId: s.spanContext().spanId, parentSpanId: parent || '',
    name: s.name, kind: s.kind + 1, start: nanos(s.startTime), end: nanos(s.endTime),
    attributes: sdkAttrs(s.attributes),
    events: s.events.map((e) => ({ name: e.name, time: nanos(e.time), attributes: sdkAttrs(e.attributes) })),
    links: s.links.map((l) => ({ traceId: l.context.traceId, spanId: l.context.spanId, attributes: sdkAttrs(l.attributes) })),
    status: { code: s.status.code, message: s.status.message || '' },
    resource: sdkAttrs(s.resource.attributes),
    scope: { name: s.instrumentationScope.name, version: s.instrumentationScope.version || '' },
    traceFlags: s.spanContext().traceFlags,
  };
}
// OTLP JSON (our dump) and protobufjs objects differ only in key case.
function otlpValue(v, snake) {
  const k = (camel, sn) => (snake ? sn : camel);
  if (!v) return ['empty'];
  if (k('stringValue', 'string_value') in v) return ['s', v[k('stringValue', 'string_value')]];
  if (k('boolValue', 'bool_value') in v) return ['b', v[k('boolValue', 'bool_value')]];
  if (k('intValue', 'int_value') in v) return ['i', String(v[k('intValue', 'int_value')])];
  if (k('doubleValue', 'double_value') in v) return ['d', Number(v[k('doubleValue', 'double_value')])];
  if (k('arrayValue', 'array_value') in v) return ['a', (v[k('arrayValue', 'array_value')].values || []).map((x) => otlpValue(x, snake))];
  return ['other', JSON.stringify(v)];
}
const otlpAttrs = (list, snake) => Object.fromEntries((list || []).map((kv) => [kv.key, otlpValue(kv.value, snake)]));
function fromOtlp(sp, resource, scope, snake) {
  const k = (camel, sn) => (snake ? sn : camel);
  const id = (v) => (v === undefined ? '' : (typeof v === 'string' ? v : hex(v)));
  return {
    traceId: id(sp[k('traceId', 'trace_id')]), spanId: id(sp[k('spanId', 'span_id')]),
    parentSpanId: id(sp[k('parentSpanId', 'parent_span_id')]),
    name: sp.name, kind: sp.kind || 0,
    start: String(sp[k('startTimeUnixNano', 'start_time_unix_nano')]),
    end: String(sp[k('endTimeUnixNano', 'end_time_unix_nano')]),
    attributes: otlpAttrs(sp.attributes, snake),
    events: (sp.events || []).map((e) => ({ name: e.name, time: String(e[k('timeUnixNano', 'time_unix_nano')]), attributes: otlpAttrs(e.attributes, snake) })),
    links: (sp.links || []).map((l) => ({ traceId: id(l[k('traceId', 'trace_id')]), spanId: id(l[k('spanId', 'span_id')]), attributes: otlpAttrs(l.attributes, snake) })),
    status: { code: (sp.status && sp.status.code) || 0, message: (sp.status && sp.status.message) || '' },
    resource: otlpAttrs(resource.attributes, snake),
    scope: { name: scope.name || '', version: scope.version || '' },
    traceFlags: (sp.flags || 0) & 0xff,
  };
}

// ---- wait for everything to arrive, then compare ----
const want = expected.length;
let dumped = [];
for (let i = 0; i < 200; i++) {
  dumped = fs.existsSync(dumpFile) ? fs.readFileSync(dumpFile, 'utf8').split('\n').filter(Boolean) : [];
  if (dumped.length >= want && backendSpans.length >= want) break;
  await sleep(50);
}
const ours = new Map(dumped.map((l) => JSON.parse(l)).map((s) => [s.spanId, fromOtlp(s, s.resource, s.scope, false)]));
const theirs = new Map(backendSpans.map(({ span, resource, scope }) => {
  const c = fromOtlp(span, resource, scope, true);
  return [c.spanId, c];
}));

let failures = 0;
function compare(what, exp, got) {
  const a = JSON.stringify(exp), b = JSON.stringify(got);
  if (a !== b) {
    failures++;
    console.error(`MISMATCH ${what}\n  sdk:      ${a}\n  received: ${b}`);
  }
}
for (const s of expected) {
  const exp = fromSdk(s);
  compare(`flightrec decode of ${exp.name}`, exp, ours.get(exp.spanId));
  compare(`backend decode of ${exp.name}`, exp, theirs.get(exp.spanId));
}
if (dumped.length !== want) { failures++; console.error(`flightrec decoded ${dumped.length} spans, the SDK produced ${want}`); }
if (backendSpans.length !== want) { failures++; console.error(`the backend got ${backendSpans.length} spans, the SDK produced ${want}`); }

fr.kill('SIGTERM');
await new Promise((r) => (frExited ? r() : fr.on('exit', r)));
backend.close();
fs.rmSync(workDir, { recursive: true, force: true });
console.log(`compared ${want} spans from ${configs.length} exporter configurations ` +
  `(${backendRequests} forwarded requests): ${failures} mismatches`);
process.exit(failures ? 1 : 0);

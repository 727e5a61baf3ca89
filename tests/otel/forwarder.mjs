// A stand-in for an OpenTelemetry Collector between services and
// flightrec: it runs as "otelcol" (its command name) and forwards every
// OTLP/HTTP request it receives, body and content type unchanged, to
// flightrec, so that flightrec sees the forwarder, not the services, as
// the sender of their spans.
//
// usage: node forwarder.mjs LISTEN_PORT UPSTREAM_BASE_URL
// Prints "ready PID" when listening.
import fs from 'node:fs';
import http from 'node:http';

const [port, upstream] = process.argv.slice(2);
fs.writeFileSync('/proc/self/comm', 'otelcol');

http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', async () => {
    try {
      const r = await fetch(upstream + req.url, {
        method: req.method,
        headers: { 'content-type': req.headers['content-type'] || 'application/x-protobuf' },
        body: Buffer.concat(chunks),
      });
      res.writeHead(r.status, { 'content-type': r.headers.get('content-type') || 'application/x-protobuf' });
      res.end(Buffer.from(await r.arrayBuffer()));
    } catch (e) {
      res.writeHead(502);
      res.end(String(e));
    }
  });
}).listen(Number(port), '127.0.0.1', () => console.log(`ready ${process.pid}`));

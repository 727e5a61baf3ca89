// An uninstrumented service on the same host (no OpenTelemetry): answers
// each request on a TCP port and on a unix socket after writing and
// fsyncing its data file for about 150 ms (a request of 'c': after
// computing for about 150 ms).
//
// With DNS_PORT, it is also a DNS server on UDP that answers every A query
// with 10.0.0.7 after 120 ms.
//
// usage: node scenario_peer.mjs PORT SOCK DATAFILE [DNS_PORT]   (prints "ready PID")
import dgram from 'node:dgram';
import fs from 'node:fs';
import net from 'node:net';

const [port, sock, dataFile, dnsPort] = process.argv.slice(2);
const fd = fs.openSync(dataFile, 'w');
const mb = Buffer.alloc(4 << 10, 9);

// 'c': about 150 ms of CPU in a named function instead of the disk
function rankCandidates(ms) {
  const end = Date.now() + ms;
  let x = 0;
  while (Date.now() < end) for (let i = 0; i < 10000; i++) x = (x * 31 + i) % 1000003;
  return x;
}

function serve(c) {
  c.on('data', (d) => {
    if (d[0] === 0x63) { // 'c'
      rankCandidates(150);
      c.write('a');
      return;
    }
    const end = Date.now() + 150;
    while (Date.now() < end) {
      fs.writeSync(fd, mb);
      fs.fsyncSync(fd);
    }
    c.write('a');
  });
  c.on('error', () => {});
}

try { fs.unlinkSync(sock); } catch { /* not there */ }
let up = 0;
const ready = () => { if (++up === (dnsPort ? 3 : 2)) console.log(`ready ${process.pid}`); };
if (dnsPort) {
  const udp = dgram.createSocket('udp4');
  udp.on('message', (q, from) => {
    if (q.length < 12) return;
    // the question ends at the name's zero byte, then type and class
    let end = 12;
    while (end < q.length && q[end] !== 0) end += q[end] + 1;
    end += 5;
    if (end > q.length) return;
    const head = Buffer.from([q[0], q[1], 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0]);
    const answer = Buffer.from([0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 0, 0, 7]);
    const reply = Buffer.concat([head, q.subarray(12, end), answer]);
    setTimeout(() => udp.send(reply, from.port, from.address), 120);
  });
  udp.bind(Number(dnsPort), '127.0.0.1', ready);
}
net.createServer(serve).listen(Number(port), '127.0.0.1', ready);
net.createServer(serve).listen(sock, ready);

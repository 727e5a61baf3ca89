// An uninstrumented service on the same host (no OpenTelemetry): answers
// each request on a TCP port and on a unix socket after writing and
// fsyncing its data file for about 150 ms.
//
// usage: node scenario_peer.mjs PORT SOCK DATAFILE   (prints "ready PID")
import fs from 'node:fs';
import net from 'node:net';

const [port, sock, dataFile] = process.argv.slice(2);
const fd = fs.openSync(dataFile, 'w');
const mb = Buffer.alloc(4 << 10, 9);

function serve(c) {
  c.on('data', () => {
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
const ready = () => { if (++up === 2) console.log(`ready ${process.pid}`); };
net.createServer(serve).listen(Number(port), '127.0.0.1', ready);
net.createServer(serve).listen(sock, ready);

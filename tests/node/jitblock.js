// SPDX-License-Identifier: MIT
// For test_unwind: run with node --perf-basic-prof. Warms up a named
// function until V8 compiles it, then, on a line on stdin, blocks in it
// for argv[2] ms (a futex wait under Atomics.wait), prints "done" and
// stays until stdin closes, so that its perf map and mappings are there
// when the test unwinds.
'use strict';

const ia = new Int32Array(new SharedArrayBuffer(4));

function blockInNamedJsFunction(ms) {
  return Atomics.wait(ia, 0, 0, ms);
}

for (let i = 0; i < 20000; i++) blockInNamedJsFunction(0);

const ms = Number(process.argv[2] || 80);
let started = false;
process.stdin.on('data', () => {
  if (started) return;
  started = true;
  blockInNamedJsFunction(ms);
  process.stdout.write('done\n');
});
process.stdin.on('end', () => process.exit(0));
process.stdout.write('ready\n');

// node-gc's service: a Node.js server at steady state that allocates and
// drops Buffers all the time (its memory saws as the garbage collector
// frees them), and with "leak N" also keeps N MiB a second for good.
'use strict';
const mode = process.argv[2] || 'steady';
const leakMiBs = Number(process.argv[3] || 0); // MiB a second, 1 MiB at a time
let live = [];
const kept = [];
setInterval(() => {
  // ~20 MiB/s of 1 MiB Buffers (filled: resident), dropped every ~5 s
  live.push(Buffer.alloc(1 << 20, 1), Buffer.alloc(1 << 20, 2));
  if (live.length >= 100) live = [];
}, 100);
if (mode === 'leak' && leakMiBs > 0)
  setInterval(() => kept.push(Buffer.alloc(1 << 20, 3)), 1000 / leakMiBs);
setInterval(() => console.log(`gc.js ${mode}: rss ${(process.memoryUsage().rss / 1048576).toFixed(0)} MiB, kept ${kept.length} MiB`), 10000);
